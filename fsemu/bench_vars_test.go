package fsemu

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkChannelVars measures, without the network, the work every
// channel event leans on: setting and reading channel variables (a hit
// and a miss) and stamping a new event's standard headers. It isolates
// the interned variable header names and line numbers (intern.go) from
// the noise of BenchmarkCallSetup.
func BenchmarkChannelVars(b *testing.B) {
	s, err := Start(context.Background(), Config{HeartbeatInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.lock()
	defer s.unlock()
	ch := s.newChannel("bench")
	names := make([]string, 48)
	for i := range names {
		names[i] = "bench_var_" + strconv.Itoa(i)
		ch.setVar(names[i], "x")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := names[i%len(names)]
		ch.setVar(n, "y")
		if _, ok := ch.getVar(n); !ok {
			b.Fatal("variable lost")
		}
		if _, ok := ch.getVar("absent_var"); ok {
			b.Fatal("absent variable found")
		}
		s.newEvent("CUSTOM", "bench.c", "bench", 100+i%64)
	}
}
