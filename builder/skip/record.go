package skip

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// recordFormat marks kiln's skip records; a file without it is foreign.
const recordFormat = "kiln-skip-record-1"

// Record is what kiln knows about a target's last successful build.
type Record struct {
	Format      string    `json:"format"`
	Target      string    `json:"target"`
	Fingerprint string    `json:"fingerprint"`
	Built       time.Time `json:"built"`
	// Outputs are the outputs as the build left them.
	Outputs []Output `json:"outputs"`
	// Response is the exporter response of that build, reported again
	// (metadata file) when the target is skipped.
	Response map[string]string `json:"response,omitempty"`
}

// Store keeps one record per target in a directory. The records of one
// project live in one Store (see DefaultDir).
type Store struct {
	Dir string
}

// DefaultDir is where the records of the project in directory project
// live: $XDG_STATE_HOME/kiln/skip/<project hash>, ~/.local/state/... when
// unset. State, not cache: deleting it costs one full build, never a
// wrong result.
func DefaultDir(project string) string {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "kiln", "skip", projectHash(project))
}

func projectHash(project string) string {
	sum := sha256Sum([]byte(project))
	return hex.EncodeToString(sum[:8])
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func (s *Store) path(target string) string {
	name := target
	if !plainName.MatchString(name) || len(name) > 200 {
		name = "x-" + hex.EncodeToString([]byte(target))
		if len(name) > 200 {
			sum := sha256Sum([]byte(target))
			name = "h-" + hex.EncodeToString(sum[:])
		}
	}
	return filepath.Join(s.Dir, name+".json")
}

// ErrNoRecord: the target was never recorded (or its record was removed).
var ErrNoRecord = errors.New("no record")

// Get reads target's record. A record that does not parse, is not kiln's,
// or is another target's is an error (the caller warns and builds).
func (s *Store) Get(target string) (*Record, error) {
	p := s.path(target)
	dt, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoRecord
	}
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(dt, &r); err != nil {
		return nil, fmt.Errorf("record %s is corrupt (ignored): %v", p, err)
	}
	switch {
	case r.Format != recordFormat:
		return nil, fmt.Errorf("record %s is not a kiln skip record (ignored)", p)
	case r.Target != target:
		return nil, fmt.Errorf("record %s is target %q's, not %q's (ignored)", p, r.Target, target)
	case r.Fingerprint == "":
		return nil, fmt.Errorf("record %s has no fingerprint (ignored)", p)
	}
	return &r, nil
}

// Remove forgets target's record. The caller removes it before the
// target's outputs are written, so that a run killed while writing them
// leaves no record claiming outputs that are not complete.
func (s *Store) Remove(target string) error {
	err := os.Remove(s.path(target))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Put writes r atomically: a temporary file in the same directory,
// synced, renamed over the old record, the directory synced. A reader
// sees the old record, the new one, or none; never half of one.
func (s *Store) Put(r *Record) error {
	r.Format = recordFormat
	dt, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.Dir, ".record-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename there is nothing left to remove
	if _, err := tmp.Write(dt); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), s.path(r.Target)); err != nil {
		return err
	}
	if d, err := os.Open(s.Dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
