package engine

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	ctdsnapshot "github.com/containerd/containerd/v2/core/snapshots"
	"github.com/containerd/containerd/v2/plugins/snapshots/native"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay"
	"github.com/containerd/containerd/v2/plugins/snapshots/overlay/overlayutils"
	"github.com/containerd/platforms"
	"github.com/moby/buildkit/cmd/buildkitd/config"
	"github.com/moby/buildkit/executor/oci"
	"github.com/moby/buildkit/util/network/cniprovider"
	"github.com/moby/buildkit/util/network/netproviders"
	"github.com/moby/buildkit/worker"
	"github.com/moby/buildkit/worker/base"
	"github.com/moby/buildkit/worker/runc"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/semaphore"
)

// snapshotterName picks the snapshotter: the configured one, or for "auto"
// overlayfs when the kernel supports it on root, else native (copying).
func snapshotterName(configured, root string) string {
	if configured != "" && configured != "auto" {
		return configured
	}
	if err := overlayutils.Supported(root); err == nil {
		return "overlayfs"
	}
	return "native"
}

// closers collects what BuildKit opens but never closes: the overlay
// snapshotter keeps a bbolt file open, and a second open in the same
// process would block on its flock forever.
type closers struct {
	mu  sync.Mutex
	all []io.Closer
}

func (c *closers) add(x io.Closer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.all = append(c.all, x)
}

func (c *closers) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for i := len(c.all) - 1; i >= 0; i-- {
		if err := c.all[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	c.all = nil
	return first
}

func snapshotterFactory(name string, cl *closers) (runc.SnapshotterFactory, error) {
	f := runc.SnapshotterFactory{Name: name}
	var open func(root string) (ctdsnapshot.Snapshotter, error)
	switch name {
	case "overlayfs":
		open = func(root string) (ctdsnapshot.Snapshotter, error) {
			return overlay.NewSnapshotter(root, overlay.AsynchronousRemove)
		}
	case "native":
		open = native.NewSnapshotter
	default:
		return f, fmt.Errorf("snapshotter %q is not supported by kiln's engine (use overlayfs, native or auto)", name)
	}
	f.New = func(root string) (ctdsnapshot.Snapshotter, error) {
		s, err := open(root)
		if err == nil {
			cl.add(s)
		}
		return s, err
	}
	return f, nil
}

// newWorker is buildkitd's OCI worker initializer for kiln's needs: runc,
// overlayfs or native, host or CNI networking, GC policy, registry hosts.
func newWorker(ctx context.Context, cfg *config.Config, hosts docker.RegistryHosts, cl *closers) (worker.Worker, error) {
	oc := cfg.Workers.OCI
	sn := snapshotterName(oc.Snapshotter, cfg.Root)
	snf, err := snapshotterFactory(sn, cl)
	if err != nil {
		return nil, err
	}
	nc := netproviders.Opt{
		Mode: oc.NetworkConfig.Mode,
		CNI: cniprovider.Opt{
			Root:         cfg.Root,
			ConfigPath:   oc.CNIConfigPath,
			BinaryDir:    oc.CNIBinaryPath,
			PoolSize:     oc.CNIPoolSize,
			BridgeName:   oc.BridgeName,
			BridgeSubnet: oc.BridgeSubnet,
		},
	}
	var sem *semaphore.Weighted
	if oc.MaxParallelism > 0 {
		sem = semaphore.NewWeighted(int64(oc.MaxParallelism))
	}
	opt, err := runc.NewWorkerOpt(cfg.Root, snf, false, oci.ProcessSandbox, oc.Labels, nil, nc,
		dnsConfig(cfg.DNS), oc.Binary, oc.ApparmorProfile, oc.SELinux, sem, "", oc.DefaultCgroupParent, nil)
	if err != nil {
		return nil, fmt.Errorf("runc worker: %w", err)
	}
	opt.GCPolicy = gcPolicy(oc.GCConfig, cfg.Root)
	opt.BuildkitVersion = buildkitVersion()
	opt.RegistryHosts = hosts
	if len(oc.Platforms) > 0 {
		ps := make([]ocispecs.Platform, 0, len(oc.Platforms))
		for _, s := range oc.Platforms {
			p, err := platforms.Parse(s)
			if err != nil {
				return nil, fmt.Errorf("worker platform %q: %w", s, err)
			}
			ps = append(ps, platforms.Normalize(p))
		}
		opt.Platforms = ps
	}
	w, err := base.NewWorker(ctx, opt)
	if err != nil {
		opt.MetadataStore.Close()
		opt.ContentMetadata.Close()
		return nil, fmt.Errorf("runc worker: %w", err)
	}
	return w, nil
}

func dnsConfig(c *config.DNSConfig) *oci.DNSConfig {
	if c == nil {
		return nil
	}
	return &oci.DNSConfig{Nameservers: c.Nameservers, Options: c.Options, SearchDomains: c.SearchDomains}
}
