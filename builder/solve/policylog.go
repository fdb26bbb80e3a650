package solve

import (
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/identity"
	digest "github.com/opencontainers/go-digest"
)

// policyLogWindow is buildx's policyProgressWindow: the "loading policies"
// step stays open while the policy keeps logging and completes after this
// long without a line, to open again at the next one.
const policyLogWindow = 500 * time.Millisecond

// policyLog shows a target's policy log lines in the progress display as
// buildx v0.38.2's policyProgressLogger (build/opt.go, unexported there) does:
// one vertex, "loading policies <files>", that appears only when the policy
// logs something, opens and completes in windows, and ends with the build's
// error when the policy denied a source. Its channel is one of the run's
// progress channels; Close closes it.
type policyLog struct {
	ch      chan *client.SolveStatus
	dgst    digest.Digest
	name    string
	mu      sync.Mutex
	started time.Time
	timer   *time.Timer
	window  int
	open    bool
	closed  bool
}

func newPolicyLog(ch chan *client.SolveStatus, name string) *policyLog {
	return &policyLog{ch: ch, dgst: digest.FromBytes([]byte(identity.NewID())), name: name}
}

// Log adds msg (a line; the newline is added) to the vertex, opening a
// window if none is open.
func (l *policyLog) Log(msg string) {
	if l == nil || msg == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	if !l.open {
		l.open = true
		l.window++
		l.started = time.Now()
		l.send(nil, "")
	}
	window := l.window
	if l.timer != nil {
		l.timer.Stop()
	}
	l.timer = time.AfterFunc(policyLogWindow, func() { l.completeWindow(window) })
	if msg[len(msg)-1] != '\n' {
		msg += "\n"
	}
	l.ch <- &client.SolveStatus{Logs: []*client.VertexLog{{Vertex: l.dgst, Stream: 1, Data: []byte(msg), Timestamp: time.Now()}}}
}

// Close completes the vertex (with err, the build's error when the policy
// caused it, else nil) and closes the channel. As buildx, a vertex already
// completed is completed again with the error, so the display shows it.
func (l *policyLog) Close(err error) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
	}
	if l.open || (err != nil && !l.started.IsZero()) {
		l.open = false
		l.complete(err)
	}
	close(l.ch)
}

func (l *policyLog) completeWindow(window int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || !l.open || window != l.window {
		return
	}
	l.open = false
	l.complete(nil)
}

func (l *policyLog) complete(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	now := time.Now()
	l.send(&now, msg)
}

func (l *policyLog) send(completed *time.Time, errMsg string) {
	started := l.started
	l.ch <- &client.SolveStatus{Vertexes: []*client.Vertex{{Digest: l.dgst, Name: l.name, Started: &started, Completed: completed, Error: errMsg}}}
}

// chanWriter is a buildx progress.Writer onto one of the run's progress
// channels, for the policy's source resolver (sourcemeta.WithProgressWriter)
// whose own solve reports there as in buildx. close closes the channel.
type chanWriter struct {
	ch chan *client.SolveStatus
}

func (w chanWriter) Write(st *client.SolveStatus)              { w.ch <- st }
func (w chanWriter) WriteBuildRef(string, string)              {}
func (w chanWriter) ValidateLogSource(digest.Digest, any) bool { return true }
func (w chanWriter) ClearLogSource(any)                        {}
