module persistbench/katago

go 1.19
