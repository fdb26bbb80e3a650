package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/containerd/platforms"
	"github.com/kiln-build/kiln/builder/node"
	"github.com/kiln-build/kiln/builder/pool"
	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/buildkit/client"
)

// newPoolCommand is `kiln pool`.
func newPoolCommand() *command {
	c := &command{name: "pool", usage: "pool ls [OPTIONS]", short: "Show the nodes of a pool: whether each answers, its BuildKit version, platforms and load"}
	c.run = func(ctx context.Context, args []string) error {
		if len(args) == 0 || args[0] != "ls" {
			if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
				fmt.Fprintf(os.Stderr, "Usage:  kiln %s\n\n%s\n", c.usage, c.short)
				return nil
			}
			return fmt.Errorf("usage: kiln %s", c.usage)
		}
		fs := newFlags(c)
		file := fs.String("pool", "", "Pool file (default: $KILN_POOL, ./kiln-pool.hcl, ~/.config/kiln/pool.hcl)")
		builders := fs.StringArray("builder", nil, "A node address, or the name of a builder made with `docker buildx create` (repeatable)")
		timeout := fs.Duration("timeout", 10*time.Second, "How long to wait for each node to answer")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		p, err := loadPool(*file, *builders, os.LookupEnv)
		if err != nil {
			return err
		}
		rows := inspectPool(ctx, p, *timeout)
		writePoolTable(os.Stdout, rows)
		return nil
	}
	return c
}

// loadPool is the pool a command names: --builder values (addresses, or
// builders of buildx's store), else the pool file.
func loadPool(file string, builders []string, lookupEnv func(string) (string, bool)) (*pool.Pool, error) {
	if len(builders) > 0 {
		p := &pool.Pool{}
		for _, b := range builders {
			if b == "embedded" || b == "docker" || strings.Contains(b, "://") {
				p.Nodes = append(p.Nodes, pool.Node{Name: b, Address: b})
				continue
			}
			bp, err := pool.FromBuildx(pool.BuildxConfigDir(lookupEnv), b)
			if err != nil {
				return nil, err
			}
			p.Nodes = append(p.Nodes, bp.Nodes...)
		}
		return p, nil
	}
	if file == "" {
		file = pool.DefaultFile(lookupEnv)
	}
	if file == "" {
		return nil, errors.New("no pool: give --pool FILE or --builder (kiln-pool.hcl, $KILN_POOL and ~/.config/kiln/pool.hcl do not exist)")
	}
	return pool.LoadFile(file)
}

// poolRow is what `kiln pool ls` shows of one node.
type poolRow struct {
	node     pool.Node
	err      error
	version  string
	native   []string
	emulated []string
	active   int
}

// inspectPool asks every node at once, each within timeout.
func inspectPool(ctx context.Context, p *pool.Pool, timeout time.Duration) []poolRow {
	rows := make([]poolRow, len(p.Nodes))
	var wg sync.WaitGroup
	for i, n := range p.Nodes {
		rows[i].node = n
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			rows[i].err = inspectNode(ctx, n, &rows[i], timeout)
		})
	}
	wg.Wait()
	return rows
}

func inspectNode(ctx context.Context, n pool.Node, row *poolRow, timeout time.Duration) error {
	nd, err := node.Open(ctx, n.Address, node.OpenOptions{
		CACert: n.TLS.CA, Cert: n.TLS.Cert, Key: n.TLS.Key, ServerName: n.TLS.ServerName, ConnectTimeout: timeout,
	})
	if err != nil {
		return err
	}
	defer nd.Close()
	c := nd.Client()
	if info, err := c.Info(ctx); err == nil && info.BuildkitVersion.Version != "" {
		row.version = info.BuildkitVersion.Version
	}
	ws, err := c.ListWorkers(ctx)
	if err != nil {
		return err
	}
	row.native, row.emulated = splitPlatforms(ws, n.Platforms)
	row.active = activeBuilds(ctx, c)
	return nil
}

// splitPlatforms sorts what the workers report into native and emulated:
// the pool's platforms for the node when it declares them, else the
// platforms of the first worker's first platform's OS and architecture
// (BuildKit lists the host's platform first, then what binfmt emulates).
func splitPlatforms(ws []*client.WorkerInfo, declared []string) (native, emulated []string) {
	var matchers []platforms.Matcher
	for _, d := range declared {
		if dp, err := platforms.Parse(d); err == nil { // the pool file checked them
			matchers = append(matchers, platforms.Only(dp))
		}
	}
	seen := map[string]bool{}
	var host *string
	for _, w := range ws {
		for _, p := range w.Platforms {
			s := platforms.Format(p)
			if seen[s] {
				continue
			}
			seen[s] = true
			if host == nil {
				h := p.OS + "/" + p.Architecture
				host = &h
			}
			isNative := p.OS+"/"+p.Architecture == *host || *host == "linux/amd64" && s == "linux/386"
			if len(declared) > 0 {
				isNative = slices.ContainsFunc(matchers, func(m platforms.Matcher) bool { return m.Match(p) })
			}
			if isNative {
				native = append(native, s)
			} else {
				emulated = append(emulated, s)
			}
		}
	}
	return native, emulated
}

// activeBuilds counts the builds running on the node (-1 when it cannot
// say: its history API is off or too old).
func activeBuilds(ctx context.Context, c *client.Client) int {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := c.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{ActiveOnly: true, EarlyExit: true})
	if err != nil {
		return -1
	}
	n := 0
	for {
		ev, err := st.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n
			}
			return -1
		}
		if ev.Type == controlapi.BuildHistoryEventType_STARTED {
			n++
		}
	}
}

// writePoolTable prints one line a node (a node that does not answer says
// "unreachable"; why follows the table); LOAD is builds running, of
// max-solves when the pool bounds it.
func writePoolTable(w io.Writer, rows []poolRow) {
	tw := tabwriter.NewWriter(w, 1, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tSTATUS\tBUILDKIT\tPLATFORMS\tLOAD")
	var errs []string
	for _, r := range rows {
		status, version, plats, load := "ready", r.version, "", ""
		if r.err != nil {
			status = "unreachable"
			errs = append(errs, fmt.Sprintf("%s: %s", r.node.Name, firstLine(r.err.Error())))
		} else {
			var ps []string
			for _, p := range r.native {
				ps = append(ps, p+" (native)")
			}
			ps = append(ps, r.emulated...)
			plats = strings.Join(ps, ", ")
			load = fmt.Sprint(r.active)
			if r.active < 0 {
				load = "?"
			}
			if r.node.MaxSolves > 0 {
				load += fmt.Sprintf("/%d", r.node.MaxSolves)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.node.Name, r.node.Address, status, version, plats, load)
	}
	tw.Flush()
	if len(errs) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(errs, "\n"))
	}
}
