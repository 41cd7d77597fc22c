module persisttests/gojson

go 1.19

require persistbench/katago v0.0.0

// The one copy of kata's structs, in the repository: nothing is downloaded.
replace persistbench/katago => ../../../benchmarks/kata_go
