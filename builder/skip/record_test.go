package skip

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "skip")}
	if _, err := s.Get("app"); !errors.Is(err, ErrNoRecord) {
		t.Fatalf("Get before Put: %v, want ErrNoRecord", err)
	}
	want := &Record{Target: "app", Fingerprint: "f1", Built: time.Unix(1700000000, 0).UTC(),
		Outputs: []Output{{Kind: KindDir, Path: "/out", Digest: "d"}}, Response: map[string]string{"containerimage.digest": "sha256:x"}}
	if err := s.Put(want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get("app")
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint != "f1" || !got.Built.Equal(want.Built) || got.Outputs[0] != want.Outputs[0] || got.Response["containerimage.digest"] != "sha256:x" {
		t.Errorf("Get = %+v, want %+v", got, want)
	}
	if err := s.Remove("app"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("app"); !errors.Is(err, ErrNoRecord) {
		t.Errorf("Get after Remove: %v, want ErrNoRecord", err)
	}
	if err := s.Remove("app"); err != nil {
		t.Errorf("Remove of nothing: %v", err)
	}
	// names that are not plain file names still get a file of their own
	for _, name := range []string{"a/b", "..", strings.Repeat("x", 300)} {
		if err := s.Put(&Record{Target: name, Fingerprint: "f"}); err != nil {
			t.Fatalf("Put(%q): %v", name, err)
		}
		if r, err := s.Get(name); err != nil || r.Target != name {
			t.Errorf("Get(%q) = %v, %v", name, r, err)
		}
	}
	ents, _ := os.ReadDir(s.Dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".record-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// A corrupt, foreign or misplaced record is an error (the caller warns),
// never a record that is trusted.
func TestRecordCorrupt(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	other, _ := json.Marshal(Record{Format: recordFormat, Target: "web", Fingerprint: "f"})
	cases := map[string]string{
		"truncated":    `{"format":"kiln-skip-record-1","target":"app","finger`,
		"garbage":      "\x00\x01not json",
		"foreign":      `{"target":"app","fingerprint":"f"}`,
		"newer format": `{"format":"kiln-skip-record-9","target":"app","fingerprint":"f"}`,
		"other target": string(other),
		"no print":     `{"format":"kiln-skip-record-1","target":"app"}`,
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(s.path("app"), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			r, err := s.Get("app")
			if err == nil || errors.Is(err, ErrNoRecord) {
				t.Fatalf("Get = %+v, %v; want an error", r, err)
			}
			if !strings.Contains(err.Error(), s.path("app")) {
				t.Errorf("error %q does not name the file", err)
			}
			d := &Decision{Target: "app", Fingerprint: "f"}
			decide(t.Context(), d, &Spec{Name: "app"}, Options{Store: s})
			if d.UpToDate || d.Warning == "" {
				t.Errorf("decision on a %s record: %+v; want built, with a warning", name, d)
			}
		})
	}
}

// Put replaces a record atomically: a concurrent reader sees a whole old
// or new record, never a partial one.
func TestRecordAtomicWrite(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	big := strings.Repeat("x", 1<<16) // many write calls' worth, were it not atomic
	if err := s.Put(&Record{Target: "app", Fingerprint: "0", Response: map[string]string{"pad": big}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var bad []error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Get("app"); err != nil {
				bad = append(bad, err)
				return
			}
		}
	}()
	for i := range 50 {
		if err := s.Put(&Record{Target: "app", Fingerprint: string(rune('a' + i%26)), Response: map[string]string{"pad": big}}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	for _, err := range bad {
		t.Errorf("reader saw a partial record: %v", err)
	}
}
