package graph

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
)

// LastRun is what `kiln bake` records of its last run, so that --graph can
// show each target's status and duration: DIR/last-run.json (the CLI
// gives one DIR per project).
type LastRun struct {
	Targets map[string]Result `json:"targets"`
}

// Result is one target's end in a run.
type Result struct {
	Status  string  `json:"status"`
	Seconds float64 `json:"seconds"`
}

// LastRunFile is the file under root that holds the last run.
func LastRunFile(root string) string { return filepath.Join(root, "last-run.json") }

// ReadLastRun reads the last run under root; none recorded is (nil, nil).
func ReadLastRun(root string) (*LastRun, error) {
	dt, err := os.ReadFile(LastRunFile(root))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l LastRun
	if err := json.Unmarshal(dt, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Write replaces the last run under root (written aside and renamed, so a
// reader never sees half a file).
func (l *LastRun) Write(root string) error {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return err
	}
	dt, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp := LastRunFile(root) + ".tmp"
	if err := os.WriteFile(tmp, append(dt, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, LastRunFile(root))
}
