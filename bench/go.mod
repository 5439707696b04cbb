module github.com/switchio/switchio/bench

go 1.26

require (
	github.com/percipia/eslgo v1.5.0
	github.com/switchio/switchio v0.0.0
)

replace github.com/switchio/switchio => ../
