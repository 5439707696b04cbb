package store

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/switchio/switchio/measure"
)

// BenchmarkWriteCDR writes b.N realistic records (both legs' RTP, three
// verdicts, one call in ten failed) through a Writer and closes it; one op
// is one record, Close's merge included. It reports the sizes of
// cdr.parquet and calls.csv per million records and the heap the writer
// holds (live after a GC, before Close) and Close's time (the merge).
// Run it with -benchtime=100000x or
// 1000000x:
//
//	go test ./measure/store -run '^$' -bench WriteCDR -benchtime 100000x
func BenchmarkWriteCDR(b *testing.B) {
	pool := make([]measure.Record, 1024)
	for i := range pool {
		pool[i] = genRecord(i)
	}
	dir := b.TempDir()
	w, err := Create(dir, Options{Verdicts: testVerdicts, FlushInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	var id [16]byte
	state := uint64(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := pool[i%len(pool)]
		r.Seq = int64(i)
		binary.LittleEndian.PutUint64(id[:], splitmix(&state))
		binary.LittleEndian.PutUint64(id[8:], splitmix(&state))
		r.CallID = hex.EncodeToString(id[:]) // random and unique, as a uuid
		r.SIPCallID = hex.EncodeToString(id[4:12]) + "@10.0.0.1"
		if err := w.WriteRecord(&r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.StartTimer()
	start := time.Now()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	closing := time.Since(start)
	b.StopTimer()
	perM := func(name string) float64 {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		return float64(st.Size()) * 1e6 / float64(b.N)
	}
	b.ReportMetric(perM(CDRTable+parquetExt)/(1<<20), "cdr-MiB/Mrow")
	b.ReportMetric(perM(CSVFile)/(1<<20), "csv-MiB/Mrow")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
	b.ReportMetric(float64(closing.Milliseconds()), "close-ms")
}

// splitmix is the SplitMix64 generator: random ids without math/rand's
// cost or lock.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
