package store

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/switchio/switchio/measure"
)

// crashChildEnv, set to a directory, makes the test binary a writer that
// is killed (see crashChild).
const crashChildEnv = "SWITCHIO_STORE_CRASH_CHILD"

// What crashChild writes: crashFlushed records, crashSeconds seconds and
// their samples, then Flush, then crashUnflushed more records and seconds.
const (
	crashFlushed   = 250
	crashUnflushed = 90 // < crashPartRows: no part fills
	crashSeconds   = 10
	crashPartRows  = 100
)

// crashChild writes a run to dir, says "flushed" once Flush returned and
// "written" once the unflushed rows are written, then waits to be killed.
func crashChild(dir string) int {
	w, err := Create(dir, Options{Verdicts: testVerdicts, FlushInterval: -1, PartRows: crashPartRows})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	write := func(from, to int) error {
		for i := from; i < to; i++ {
			r := genRecord(i)
			if err := w.WriteRecord(&r); err != nil {
				return err
			}
		}
		for i := from * crashSeconds / crashFlushed; i < to*crashSeconds/crashFlushed; i++ {
			s := genSecond(i)
			if err := w.WriteSecond(&s); err != nil {
				return err
			}
			for _, st := range genSysStats(i) {
				if err := w.WriteSysStat(&st); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := write(0, crashFlushed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("flushed")
	if err := write(crashFlushed, crashFlushed+crashUnflushed); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("written")
	time.Sleep(time.Hour) // killed long before
	return 1
}

// TestKillRecovers kills a writing process with SIGKILL once it has
// flushed some rows and written more: Load reads back every flushed row
// (and none of the unsealed part), and so does arrow-go from the part
// files as they stand; Recover then makes the directory a closed run.
func TestKillRecovers(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for _, want := range []string{"flushed", "written"} {
		if !lines.Scan() || lines.Text() != want {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q, want %q; stderr:\n%s", lines.Text(), want, stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, out)
	var exit *exec.ExitError
	if err := cmd.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}

	var want []measure.Record
	for i := range crashFlushed {
		want = append(want, readBack(genRecord(i)))
	}
	var wantSecs []measure.Second
	var wantStats []measure.SysStat
	for i := range crashSeconds {
		s := genSecond(i)
		if s.FailedByCause == nil {
			s.FailedByCause = map[string]int64{}
		}
		wantSecs = append(wantSecs, s)
		wantStats = append(wantStats, genSysStats(i)...)
	}
	check := func(t *testing.T, closed bool) {
		t.Helper()
		run, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if run.Closed != closed {
			t.Errorf("Closed = %v, want %v", run.Closed, closed)
		}
		if diff := cmp.Diff(testVerdicts, run.Verdicts); diff != "" {
			t.Errorf("verdicts (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, collect(t, run.Records())); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantSecs, collect(t, run.Seconds())); diff != "" {
			t.Errorf("seconds (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantStats, collect(t, run.SysStats())); diff != "" {
			t.Errorf("sysstats (-want +got):\n%s", diff)
		}
	}

	t.Run("killed run", func(t *testing.T) {
		// Three sealed CDR parts (two full, one flushed) and the unsealed
		// one.
		parts, err := filepath.Glob(filepath.Join(dir, "cdr*.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != 3 {
			t.Errorf("cdr*.parquet: %v, want 3 parts", parts)
		}
		rows := int64(0)
		for _, p := range parts {
			rows += readArrow(t, p).table.NumRows()
		}
		if rows != crashFlushed {
			t.Errorf("arrow reads %d rows from cdr*.parquet, want %d", rows, crashFlushed)
		}
		if tmp, _ := filepath.Glob(filepath.Join(dir, "cdr.part-*.parquet.tmp")); len(tmp) != 1 {
			t.Errorf("unsealed parts %v, want one", tmp)
		}
		check(t, false)
	})

	t.Run("recovered", func(t *testing.T) {
		if err := Recover(dir); err != nil {
			t.Fatal(err)
		}
		check(t, true)
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want := []string{CSVFile, CDRTable + parquetExt, SysStatsTable + parquetExt, TimeSeriesTable + parquetExt}; !cmp.Equal(names, want) {
			t.Errorf("files %v, want %v", names, want)
		}
		// calls.csv holds at least the flushed rows, each whole.
		f, err := os.Open(filepath.Join(dir, CSVFile))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if n := len(rows) - 1; n < crashFlushed || n > crashFlushed+crashUnflushed {
			t.Errorf("calls.csv: %d rows, want %d to %d", n, crashFlushed, crashFlushed+crashUnflushed)
		}
		for i, row := range rows[1:] {
			if row[0] != genRecord(i).CallID {
				t.Fatalf("calls.csv row %d: call_id %q, want %q", i, row[0], genRecord(i).CallID)
			}
		}
		// Recovering a closed run changes nothing.
		if err := Recover(dir); err != nil {
			t.Fatal(err)
		}
		check(t, true)
	})
}

// TestKilledDuringClose: a kill between the merged file's rename and the
// parts' removal leaves both, and a kill during a merge leaves its page
// buffers; Load reads the merged file alone and Recover removes the parts
// and the buffers.
func TestKilledDuringClose(t *testing.T) {
	dir := t.TempDir()
	recs := testRecords()
	writeRun(t, dir, Options{Verdicts: testVerdicts, FlushInterval: -1}, recs, nil, nil)
	b, err := os.ReadFile(finalPath(dir, CDRTable))
	if err != nil {
		t.Fatal(err)
	}
	stale := partPath(dir, CDRTable, 1)
	if err := os.WriteFile(stale, b, 0o644); err != nil {
		t.Fatal(err)
	}
	buffer := filepath.Join(dir, CDRTable+mergeInfix+"123456"+tmpExt)
	if err := os.WriteFile(buffer, b[:100], 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(collect(t, run.Records())); got != len(recs) {
		t.Errorf("%d records, want %d", got, len(recs))
	}
	if err := Recover(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale part after Recover: %v", err)
	}
	if _, err := os.Stat(buffer); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("merge's page buffer after Recover: %v", err)
	}
}

func TestTrimCutLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a,b\n1,2\n3,", "a,b\n1,2\n"},
		{"a,b\n1,2\n", "a,b\n1,2\n"},
		{"a,b", ""},
		{"", ""},
		{"h\n" + string(bytes.Repeat([]byte("x"), 200<<10)), "h\n"},
	} {
		path := filepath.Join(t.TempDir(), CSVFile)
		if err := os.WriteFile(path, []byte(tc.in), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := trimCutLine(path); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if string(got) != tc.want {
			t.Errorf("trimCutLine(%.20q) = %.20q, want %.20q", tc.in, got, tc.want)
		}
	}
}
