package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/switchio/switchio/measure/store"
)

// File is the report's name inside the run's directory.
const File = "report.html"

// PlotsDir is the folder, inside the run's directory, of the charts as
// PNG files.
const PlotsDir = "plots"

// DefaultMaxPoints bounds the points of each chart's series: a one-hour
// run at 1,000 calls/s gives a report of a few megabytes.
const DefaultMaxPoints = 2000

// Options configure Build; the zero value is the default.
type Options struct {
	// Version is the switchio version printed in the report ("": the
	// binary's, as switchio version prints it: see internal/version).
	Version string
	// MaxPoints bounds the points of each series (0: DefaultMaxPoints;
	// at least 16).
	MaxPoints int
	// NoPNG leaves out the PNG files.
	NoPNG bool
	// Now is the report's generation time (zero: time.Now).
	Now time.Time
}

// Build reads the run in dir (closed or killed, see store.Load) and
// writes dir/report.html and, unless opts.NoPNG, one PNG per chart in
// dir/plots/. It returns the HTML file's path.
func Build(dir string, opts Options) (string, error) {
	opts = defaults(opts)
	run, err := loadRun(dir)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	m, err := collect(run, opts)
	if err != nil {
		return "", fmt.Errorf("report: %s: %w", dir, err)
	}
	path := filepath.Join(dir, File)
	if err := writeHTML(path, m); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if !opts.NoPNG {
		if err := writePNGs(filepath.Join(dir, PlotsDir), m.Charts); err != nil {
			return path, fmt.Errorf("report: %w", err)
		}
	}
	return path, nil
}

// loadRun opens the run in dir (store.Load, whose errors name dir) and
// refuses one without any CDR Parquet file (cdr.parquet or a sealed
// part): calls.csv alone, from a run killed before its first flush or
// copied without its Parquet files, would be reported as 0 calls.
func loadRun(dir string) (*store.Run, error) {
	run, err := store.Load(dir)
	if err != nil {
		return nil, err
	}
	if len(run.Files(store.CDRTable)) == 0 {
		return nil, fmt.Errorf("%s: no %s.parquet nor any sealed part of it (only %s? a run killed before its first flush keeps its calls there): nothing to report", dir, store.CDRTable, store.CSVFile)
	}
	return run, nil
}

// writeFile writes b to path through a temporary file renamed into
// place, so a reader never sees half a report.
func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	return nil
}
