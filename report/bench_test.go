package report

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkBuild builds the report of a generated run of 360,000 calls
// at 1,000 calls/s over 4 servers (six minutes; a one-hour run is ten
// times as many records, and its report's series are as bounded). One op
// is one Build, PNGs included; it reports report.html's size.
// SWITCHIO_REPORT_BENCH_CALLS sets another number of calls (3600000: the
// full hour, ~180 MB of run on disk). SWITCHIO_REPORT_BENCH_DIR builds the
// report of the run in that directory instead (bench/genrun writes a
// one-hour run at 1,000 calls/s with realistic values); its report.html
// and plots/ are replaced.
//
//	go test ./report -run '^$' -bench Build -benchtime 3x
//	SWITCHIO_REPORT_BENCH_DIR=/tmp/run-1h go test ./report -run '^$' -bench Build -benchtime 3x -cpuprofile cpu.out
func BenchmarkBuild(b *testing.B) {
	if dir := os.Getenv("SWITCHIO_REPORT_BENCH_DIR"); dir != "" {
		benchBuild(b, dir)
		return
	}
	calls := 360_000
	if s := os.Getenv("SWITCHIO_REPORT_BENCH_CALLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		calls = n
	}
	dir := b.TempDir()
	start := time.Now()
	genRun{calls: calls, rate: 1000, servers: 4, hold: 30 * time.Second}.write(b, dir)
	b.Logf("run written in %v", time.Since(start).Round(time.Millisecond))
	benchBuild(b, dir)
}

// benchBuild builds the report of the run in dir once per op.
func benchBuild(b *testing.B, dir string) {
	for b.Loop() {
		if _, err := Build(dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(filepath.Join(dir, File))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size())/1e6, "MB/report")
}
