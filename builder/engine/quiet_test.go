package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// TestLogWriter: while an engine is open, BuildKit's log lines (written
// through LogWriter, as cmd/kiln routes logrus) go to its engine.log and
// not to the terminal; once it is closed, to the fallback again.
func TestLogWriter(t *testing.T) {
	requireEngine(t)
	root := t.TempDir()
	var term bytes.Buffer
	log := logrus.New()
	log.SetOutput(LogWriter(&term))
	e, err := Start(context.Background(), Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	log.Error("releasing already released reference")
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if term.Len() > 0 {
		t.Errorf("printed while the engine ran: %q", term.String())
	}
	b, err := os.ReadFile(filepath.Join(root, LogFileName))
	if err != nil || !strings.Contains(string(b), "releasing already released reference") {
		t.Errorf("engine.log: %q, %v", b, err)
	}
	log.Error("after close")
	if !strings.Contains(term.String(), "after close") {
		t.Errorf("a line with no engine open: %q, want it on the fallback", term.String())
	}
}
