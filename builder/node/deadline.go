package node

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/kiln-build/kiln/builder/request"
	"github.com/kiln-build/kiln/builder/schedule"
)

// DefaultNodeDeadline is how long a remote node may leave the liveness
// probe unanswered before the solves on it fail; $KILN_NODE_DEADLINE (a Go
// duration, "45s") changes it.
const DefaultNodeDeadline = 30 * time.Second

// Deadline is $KILN_NODE_DEADLINE, else DefaultNodeDeadline.
func Deadline() (time.Duration, error) {
	v := os.Getenv("KILN_NODE_DEADLINE")
	if v == "" {
		return DefaultNodeDeadline, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("KILN_NODE_DEADLINE=%q: want a positive duration such as 30s", v)
	}
	return d, nil
}

// watchdog asks a remote node a cheap question (ListWorkers) every
// interval while solves run on it, each question with its own timeout,
// and when none has been answered for the deadline it cancels every solve
// on the node with an error naming it. gRPC keepalive pings alone cannot
// do this safely: BuildKit's daemon, like any grpc-go server, closes a
// connection that pings more often than every 5 minutes while it sends
// nothing (GOAWAY too_many_pings), which a long silent RUN does. A call is
// not a ping, and its answer resets the server's count.
type watchdog struct {
	node     Node
	interval time.Duration
	deadline time.Duration

	mu      sync.Mutex
	dead    error
	cancels map[*context.CancelCauseFunc]struct{}
}

// Watch runs the solves of s under a watchdog of node (see watchdog)
// until stop is called: a solve fails with an error naming the node when
// the node has not answered the probe for deadline.
func Watch(ctx context.Context, node Node, deadline time.Duration, s schedule.Solver) (watched schedule.Solver, stop func()) {
	w := newWatchdog(node, deadline)
	ctx, stop = context.WithCancel(ctx)
	go w.run(ctx)
	return w.watch(s), stop
}

func newWatchdog(node Node, deadline time.Duration) *watchdog {
	return &watchdog{node: node, deadline: deadline, interval: max(deadline/3, 10*time.Millisecond), cancels: map[*context.CancelCauseFunc]struct{}{}}
}

// run probes until ctx ends or the node is declared dead.
func (w *watchdog) run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	answered := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, w.interval)
		_, err := w.node.Client().ListWorkers(pctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			answered = time.Now()
		case time.Since(answered) >= w.deadline:
			w.kill(fmt.Errorf("node %s: not answering for %s (frozen or unreachable)", w.node.Name(), w.deadline))
			return
		}
	}
}

func (w *watchdog) kill(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dead = err
	for c := range w.cancels {
		(*c)(err)
	}
}

// watch runs a solve under the watchdog: its context is cancelled when
// the node is declared dead, and then its error is the watchdog's.
func (w *watchdog) watch(s schedule.Solver) schedule.Solver { return watched{s, w} }

type watched struct {
	s schedule.Solver
	w *watchdog
}

func (s watched) Solve(ctx context.Context, r *request.Request, step *schedule.Step) (map[string]string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := s.w
	w.mu.Lock()
	if w.dead != nil {
		w.mu.Unlock()
		return nil, w.dead
	}
	w.cancels[&cancel] = struct{}{}
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.cancels, &cancel)
		w.mu.Unlock()
	}()
	resp, err := s.s.Solve(ctx, r, step)
	if err != nil {
		w.mu.Lock()
		dead := w.dead
		w.mu.Unlock()
		if dead != nil && context.Cause(ctx) == dead {
			return nil, dead
		}
	}
	return resp, err
}
