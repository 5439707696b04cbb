module github.com/switchio/switchio/bench

go 1.26

require (
	github.com/percipia/eslgo v1.5.0
	github.com/switchio/switchio v0.0.0
)

require (
	github.com/HdrHistogram/hdrhistogram-go v1.1.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
)

replace github.com/switchio/switchio => ../
