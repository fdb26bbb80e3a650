package solve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/kiln-build/kiln/builder/request"
)

// dockerEngine loads docker-format image tarballs into a Docker engine
// (output type=docker without dest, --load) through its HTTP API.
type dockerEngine struct {
	host   string
	client *http.Client
	base   string
	// oci is true for an engine with the containerd image store (prepareLoads).
	oci bool
}

// DefaultDockerHost is where --load looks for a Docker engine without DOCKER_HOST.
const DefaultDockerHost = "unix:///var/run/docker.sock"

func newDockerEngine(host string) (*dockerEngine, error) {
	if host == "" {
		host = DefaultDockerHost
	}
	d := &dockerEngine{host: host}
	tr := &http.Transport{}
	switch {
	case strings.HasPrefix(host, "unix://"):
		path := strings.TrimPrefix(host, "unix://")
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}
		d.base = "http://docker"
	case strings.HasPrefix(host, "tcp://"):
		d.base = "http://" + strings.TrimPrefix(host, "tcp://")
	default:
		return nil, fmt.Errorf("--load: unsupported DOCKER_HOST %q (unix:// or tcp://)", host)
	}
	d.client = &http.Client{Transport: tr}
	return d, nil
}

// ping fails with a message a user can act on when no engine answers.
func (d *dockerEngine) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.base+"/_ping", nil)
	resp, err := d.client.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		err = fmt.Errorf("ping: %s", resp.Status)
	}
	return fmt.Errorf("--load (output type=docker) needs a Docker engine, and none is reachable at %s (set DOCKER_HOST, or use an output with dest=): %w", d.host, err)
}

// containerdStore reports whether the engine keeps images in containerd
// (it then imports OCI archives, multi-platform ones included).
func (d *dockerEngine) containerdStore(ctx context.Context) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.base+"/info", nil)
	resp, err := d.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var info struct{ DriverStatus [][2]string }
	if json.NewDecoder(resp.Body).Decode(&info) != nil {
		return false
	}
	for _, kv := range info.DriverStatus {
		if kv[0] == "driver-type" && kv[1] == "io.containerd.snapshotter.v1" {
			return true
		}
	}
	return false
}

// prepareLoads picks the archive --load sends, as buildx does: an engine
// with the containerd image store takes an OCI archive (so multi-platform
// images load); a classic one takes a docker archive of a single platform,
// and a multi-platform --load fails before anything is solved. The
// requests stay as translated: the solve asks loadType.
func (d *dockerEngine) prepareLoads(ctx context.Context, reqs []*request.Request) error {
	d.oci = d.containerdStore(ctx)
	if d.oci {
		return nil
	}
	for _, r := range reqs {
		for _, e := range r.Exports {
			if e.Load && strings.Contains(r.Attrs["platform"], ",") {
				return fmt.Errorf("target %s: docker exporter does not currently support exporting manifest lists (the Docker engine at %s does not use the containerd image store)", r.Target, d.host)
			}
		}
	}
	return nil
}

// loadType is the exporter of a --load output e.
func (d *dockerEngine) loadType(e request.Export) string {
	if d.oci {
		return "oci"
	}
	return e.Type
}

// load returns a writer whose bytes stream into `docker load`; Close
// waits for the engine's answer.
func (d *dockerEngine) load(target string) (io.WriteCloser, error) {
	pr, pw := io.Pipe()
	w := &loadWriter{pw: pw, done: make(chan error, 1)}
	go func() {
		req, err := http.NewRequest(http.MethodPost, d.base+"/images/load?quiet=1", pr)
		if err != nil {
			pr.CloseWithError(err)
			w.done <- err
			return
		}
		req.Header.Set("Content-Type", "application/x-tar")
		resp, err := d.client.Do(req)
		if err != nil {
			pr.CloseWithError(err)
			w.done <- fmt.Errorf("target %s: docker load: %w", target, err)
			return
		}
		defer resp.Body.Close()
		w.done <- loadResult(target, resp)
		io.Copy(io.Discard, pr) // unblock the writer if the engine stopped reading
	}()
	return w, nil
}

func loadResult(target string, resp *http.Response) error {
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("target %s: docker load: %s: %s", target, resp.Status, strings.TrimSpace(string(body)))
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	for {
		var m struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&m); err != nil {
			return nil
		}
		if m.Error != "" {
			return fmt.Errorf("target %s: docker load: %s", target, m.Error)
		}
	}
}

type loadWriter struct {
	pw     *io.PipeWriter
	done   chan error
	closed bool
	err    error
}

func (w *loadWriter) Write(p []byte) (int, error) { return w.pw.Write(p) }

func (w *loadWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	w.pw.Close()
	w.err = <-w.done
	if errors.Is(w.err, io.ErrClosedPipe) {
		w.err = nil
	}
	return w.err
}
