package main

import (
	"container/heap"
	"time"
)

// endQueue holds the end times of the calls in flight, earliest first:
// the calls up when a call is created are those not yet ended.
type endQueue struct{ h timeHeap }

func newEndQueue() *endQueue { return &endQueue{} }

func (q *endQueue) len() int         { return len(q.h) }
func (q *endQueue) min() time.Time   { return q.h[0] }
func (q *endQueue) push(t time.Time) { heap.Push(&q.h, t) }
func (q *endQueue) pop() time.Time   { return heap.Pop(&q.h).(time.Time) }

type timeHeap []time.Time

func (h timeHeap) Len() int           { return len(h) }
func (h timeHeap) Less(i, j int) bool { return h[i].Before(h[j]) }
func (h timeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timeHeap) Push(x any)        { *h = append(*h, x.(time.Time)) }
func (h *timeHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
