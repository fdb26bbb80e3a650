package engine

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/worker"
)

// stoppableWorker makes Prune a no-op once the engine is closed. The
// controller schedules GC on timers it never cancels; one firing after
// Close would otherwise run on closed databases and log errors.
type stoppableWorker struct {
	worker.Worker
	stopped atomic.Bool
}

func (w *stoppableWorker) Prune(ctx context.Context, ch chan client.UsageInfo, opt ...client.PruneInfo) error {
	if w.stopped.Load() {
		return nil
	}
	return w.Worker.Prune(ctx, ch, opt...)
}

// LogFileName is where, under the state directory, BuildKit's own log
// lines go while the embedded engine runs, when the CLI routes logrus
// through LogWriter.
const LogFileName = "engine.log"

// maxLogSize bounds engine.log: a longer one is emptied at the next open.
const maxLogSize = 8 << 20

var (
	logMu      sync.Mutex
	currentLog *engineLog // the open engine's, nil when none is open
)

// LogWriter returns the writer for BuildKit's logrus output in a process
// that embeds the engine: the open engine's engine.log, else fallback.
// BuildKit logs internal conditions at error level ("releasing already
// released reference") that do not fail the build; printed, they cut into
// the progress a user reads, and a failure that matters reaches the user
// as the solve's error anyway.
func LogWriter(fallback io.Writer) io.Writer { return logWriter{fallback} }

type logWriter struct{ fallback io.Writer }

func (w logWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	if currentLog != nil {
		return currentLog.write(p)
	}
	return w.fallback.Write(p)
}

// engineLog opens its file on the first line, so an engine that logs
// nothing leaves no file.
type engineLog struct {
	path string
	f    *os.File
	err  error // the open's: lines are then dropped
}

func (l *engineLog) write(p []byte) (int, error) {
	if l.f == nil && l.err == nil {
		flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
		if fi, err := os.Stat(l.path); err == nil && fi.Size() > maxLogSize {
			flags |= os.O_TRUNC
		}
		l.f, l.err = os.OpenFile(l.path, flags, 0o600)
	}
	if l.err != nil {
		return len(p), nil // nowhere to keep it; not into the terminal either
	}
	return l.f.Write(p)
}

// openLog makes root/engine.log the destination of LogWriter until the
// returned function is called (by Close).
func openLog(root string) (closeLog func()) {
	l := &engineLog{path: filepath.Join(root, LogFileName)}
	logMu.Lock()
	currentLog = l
	logMu.Unlock()
	return func() {
		logMu.Lock()
		defer logMu.Unlock()
		if currentLog == l {
			currentLog = nil
		}
		if l.f != nil {
			l.f.Close()
		}
	}
}
