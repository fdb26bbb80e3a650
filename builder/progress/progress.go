// Package progress is a run's display: one BuildKit progress display for
// every target's solve (vertex names prefixed by target when there are
// several) in the --progress modes (Modes), the log tail of each failed
// step for the summary, and the timeline of vertices and kiln's phases
// that --trace and the critical path read.
package progress

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/kiln-build/kiln/builder/trace"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/progress/progressui"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/protobuf/proto"
)

// Progress shows the solves of a run in one BuildKit progress display,
// vertex names prefixed with their target when there are several, and keeps
// each failed step's log for the summary.
type Progress struct {
	multi   bool
	ch      chan *client.SolveStatus
	wg      sync.WaitGroup
	done    chan struct{}
	mu      sync.Mutex
	steps   map[string]map[digest.Digest]*stepLog // target → vertex → log
	warns   []client.VertexWarning
	dispErr error
	// trace records every vertex as BuildKit sent it, for --trace and the
	// summary's critical path.
	trace *trace.Recorder
}

type stepLog struct {
	name  string
	err   string
	lines []string
	part  string
}

const keepLines = 40

// Modes are the --progress values (a new slice each call).
func Modes() []string {
	return []string{"auto", "tty", "plain", "quiet", "rawjson", "none"}
}

// New starts a display writing to w in mode (see Modes).
func New(ctx context.Context, w io.Writer, mode string, multi bool) (*Progress, error) {
	m := progressui.DisplayMode(mode)
	if mode == "none" {
		m = progressui.QuietMode
	}
	d, err := progressui.NewDisplay(w, m)
	if err != nil {
		return nil, err
	}
	p := &Progress{multi: multi, ch: make(chan *client.SolveStatus), done: make(chan struct{}), steps: map[string]map[digest.Digest]*stepLog{}, trace: trace.New(time.Now())}
	go func() {
		defer close(p.done)
		// The display must drain until every target's channel is closed,
		// even when ctx ends, or the solves would block on progress.
		warns, err := d.UpdateFrom(context.WithoutCancel(ctx), p.ch)
		p.warns, p.dispErr = warns, err
	}()
	return p, nil
}

// Channel returns the status channel of one target's solve; the solve
// closes it when it ends.
func (p *Progress) Channel(target string) chan *client.SolveStatus {
	return p.ChannelAs(target, target)
}

// ChannelAs is Channel with the vertex names prefixed by label instead of
// the target's name: "[api linux/arm64@node-2]" when a run spans nodes.
func (p *Progress) ChannelAs(target, label string) chan *client.SolveStatus {
	in := make(chan *client.SolveStatus)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for st := range in {
			p.record(target, st)
			p.trace.Observe(target, st)
			if p.multi {
				st = prefixed(label, st)
			}
			p.ch <- st
		}
	}()
	return in
}

// Wait ends the display once every channel is closed and returns the
// warnings BuildKit reported.
func (p *Progress) Wait() ([]client.VertexWarning, error) {
	p.wg.Wait()
	close(p.ch)
	<-p.done
	return p.warns, p.dispErr
}

// FailedStep returns the name and the last lines of the log of the step
// that failed target, if BuildKit reported one.
func (p *Progress) FailedStep(target string) (string, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.steps[target] {
		if s.err != "" && !strings.Contains(s.err, "context canceled") {
			lines := s.lines
			if s.part != "" {
				lines = append(lines, s.part)
			}
			return s.name, lines
		}
	}
	return "", nil
}

func (p *Progress) record(target string, st *client.SolveStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.steps[target]
	if m == nil {
		m = map[digest.Digest]*stepLog{}
		p.steps[target] = m
	}
	get := func(d digest.Digest) *stepLog {
		if m[d] == nil {
			m[d] = &stepLog{}
		}
		return m[d]
	}
	for _, v := range st.Vertexes {
		s := get(v.Digest)
		s.name = v.Name
		if v.Error != "" {
			s.err = v.Error
		}
	}
	for _, l := range st.Logs {
		s := get(l.Vertex)
		text := s.part + string(l.Data)
		parts := strings.Split(text, "\n")
		s.part = parts[len(parts)-1]
		s.lines = append(s.lines, parts[:len(parts)-1]...)
		if n := len(s.lines); n > keepLines {
			s.lines = s.lines[n-keepLines:]
		}
	}
}

// prefixed copies st with vertex names prefixed by the target, as buildx
// shows several targets in one display ("[app] RUN x", "[app internal] ...").
func prefixed(target string, st *client.SolveStatus) *client.SolveStatus {
	out := *st
	out.Vertexes = make([]*client.Vertex, len(st.Vertexes))
	for i, v := range st.Vertexes {
		vv := *v
		vv.Name = addPrefix(target, v.Name)
		if v.ProgressGroup != nil {
			pg := proto.Clone(v.ProgressGroup).(*pb.ProgressGroup)
			pg.Name = addPrefix(target, pg.Name)
			vv.ProgressGroup = pg
		}
		out.Vertexes[i] = &vv
	}
	return &out
}

// addPrefix is buildx's: a name that starts with a bracket shares it.
func addPrefix(pfx, name string) string {
	if strings.HasPrefix(name, "[") {
		return "[" + pfx + " " + name[1:]
	}
	return "[" + pfx + "] " + name
}
