"""One class per kind of Go type, each holding its rules and every function derived from them (see base)."""
