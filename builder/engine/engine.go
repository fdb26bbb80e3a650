// Package engine runs BuildKit's controller inside the kiln process: the OCI
// (runc) worker on overlayfs, the dockerfile and gateway frontends, bolt cache
// and history stores, garbage collection, reached through an in-memory gRPC
// connection. The same engine can also listen on a socket (kiln engine serve).
package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/control"
	"github.com/moby/buildkit/util/appdefaults"
	"github.com/moby/buildkit/util/grpcerrors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/test/bufconn"

	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto" // BuildKit's vtproto codec, as buildkitd registers it
)

// Options configure Start. Only Root is required.
type Options struct {
	// Root is the state directory (see DefaultRoot).
	Root string
	// ConfigFile is a buildkitd.toml; "" means Root/buildkitd.toml.
	ConfigFile string
	// Entitlements, when not nil, are the insecure entitlements the
	// controller allows (network.host, security.insecure, device), replacing
	// buildkitd.toml's insecure-entitlements as buildkitd's
	// --allow-insecure-entitlement does. nil: the config's list, or, if it
	// has none, the default of Daemon. Each solve must still ask (--allow).
	Entitlements []string
	// Daemon is set by `kiln engine serve`: whoever can connect builds as
	// root, so by default no insecure entitlement is allowed (buildkitd's
	// default). The embedded engine serves only the kiln process that
	// started it and allows network.host, as Docker's built-in BuildKit
	// (buildx's default builder) does; security.insecure needs the config.
	Daemon bool
	// StopTimeout bounds the graceful stop of open gRPC streams on Close
	// before they are cut (default 10s).
	StopTimeout time.Duration
}

// Engine is a running embedded BuildKit.
type Engine struct {
	root         string
	lock         *stateLock
	controller   *control.Controller
	worker       *stoppableWorker
	closers      *closers
	server       *grpc.Server
	pipe         *bufconn.Listener
	client       *client.Client
	stop         chan struct{}
	stopTimeout  time.Duration
	runc         string // the OCI runtime binary
	closeOnce    sync.Once
	closeErr     error
	graceful     bool // whether the last stop drained every stream in time
	closeLog     func()
	entitlements []string
}

// DefaultRoot is $KILN_ROOT, else /var/lib/kiln.
func DefaultRoot() string {
	if r := os.Getenv("KILN_ROOT"); r != "" {
		return r
	}
	return "/var/lib/kiln"
}

// Start takes the state directory's lock, cleans up after any engine that
// was killed on it, and starts the controller. Close releases it all.
func Start(ctx context.Context, opts Options) (_ *Engine, retErr error) {
	if err := checkRoot(os.Geteuid()); err != nil {
		return nil, err
	}
	if opts.Root == "" {
		opts.Root = DefaultRoot()
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("engine state directory: %w", err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("engine state directory: %w", err)
	}
	cfg, err := loadConfig(root, opts.ConfigFile)
	if err != nil {
		return nil, err
	}
	if err := CheckEntitlements(opts.Entitlements); err != nil {
		return nil, err
	}
	runcBin, err := findRunc(cfg.Workers.OCI.Binary)
	if err != nil {
		return nil, err
	}
	cfg.Workers.OCI.Binary = runcBin

	lock, err := lockState(root)
	if err != nil {
		return nil, err
	}
	e := &Engine{root: root, runc: runcBin, lock: lock, closers: &closers{}, stop: make(chan struct{}), stopTimeout: opts.StopTimeout}
	e.closeLog = openLog(root)
	if e.stopTimeout <= 0 {
		e.stopTimeout = 10 * time.Second
	}
	defer func() {
		if retErr != nil {
			e.Close()
		}
	}()
	if err := cleanStale(ctx, root, runcBin); err != nil {
		return nil, fmt.Errorf("clean up after a previous engine on %s: %w", root, err)
	}
	cfg.Entitlements = allowedEntitlements(cfg.Entitlements, opts)
	e.entitlements = slices.Clone(cfg.Entitlements)

	e.controller, e.worker, err = newController(ctx, &cfg, e.closers, e.stop)
	if err != nil {
		return nil, fmt.Errorf("start embedded engine in %s: %w", root, err)
	}
	e.server = newGRPCServer(e.controller)
	e.pipe = bufconn.Listen(1 << 20)
	go e.server.Serve(e.pipe)

	e.client, err = client.New(ctx, appdefaults.Address, client.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
		return e.pipe.DialContext(ctx)
	}))
	if err != nil {
		return nil, fmt.Errorf("connect to embedded engine: %w", err)
	}
	return e, nil
}

// keepalivePolicy is how often clients may ping. gRPC's default (once per
// 5 minutes, never without a stream) answers a client that pings every 30s
// during a long solve, as kiln's does to notice a frozen node, with a
// GOAWAY (too_many_pings) that kills its builds. 5s admits every client
// seen pinging BuildKit (buildx's cloud driver pings every 10s); idle
// connections may ping too, since pings cost the server nothing.
var keepalivePolicy = keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}

func newGRPCServer(c *control.Controller) *grpc.Server {
	s := grpc.NewServer(
		grpc.KeepaliveEnforcementPolicy(keepalivePolicy),
		grpc.ChainUnaryInterceptor(grpcerrors.UnaryServerInterceptor),
		grpc.StreamInterceptor(grpcerrors.StreamServerInterceptor),
		grpc.MaxRecvMsgSize(16<<20),
		grpc.MaxSendMsgSize(16<<20),
	)
	healthv1.RegisterHealthServer(s, health.NewServer())
	c.Register(s)
	return s
}

// Root is the engine's state directory.
func (e *Engine) Root() string { return e.root }

// Entitlements are the insecure entitlements the controller allows.
func (e *Engine) Entitlements() []string { return slices.Clone(e.entitlements) }

// Client is connected in memory to the engine.
func (e *Engine) Client() *client.Client { return e.client }

// Serve answers BuildKit API calls on l until Close, so other kiln
// processes, buildctl and buildx's remote driver can use the engine.
func (e *Engine) Serve(l net.Listener) error {
	err := e.server.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// Advertise records addr in the state directory's lock file: a kiln
// process that finds the directory busy then connects to addr instead.
func (e *Engine) Advertise(addr string) error {
	if err := e.lock.write(addr); err != nil {
		return fmt.Errorf("advertise %s: %w", addr, err)
	}
	return nil
}

// Close stops the engine: open streams get StopTimeout to finish, then the
// controller, the snapshotter and the state lock are released. A new Start
// on the same directory may follow in the same process.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		var errs []error
		if e.worker != nil {
			e.worker.stopped.Store(true)
		}
		close(e.stop)
		if e.client != nil {
			e.client.Close()
		}
		if e.server != nil {
			e.graceful = stopServer(e.server, e.stopTimeout)
		}
		if e.worker != nil {
			forgetChecksums(e.worker.Worker)
		}
		if e.controller != nil {
			if err := e.controller.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close controller: %w", err))
			}
		}
		if err := e.closers.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close engine stores: %w", err))
		}
		if e.controller != nil {
			// Steps cancelled by the stop may still be tearing down their
			// containers; sweep while the lock is still ours.
			if err := cleanStale(context.Background(), e.root, e.runc); err != nil {
				errs = append(errs, fmt.Errorf("clean up on close: %w", err))
			}
		}
		e.closeLog()
		if err := e.lock.release(); err != nil {
			errs = append(errs, err)
		}
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

// stopServer is GracefulStop bounded by timeout: a client holding a stream
// (a session, a status watch) would otherwise keep it waiting forever.
func stopServer(s *grpc.Server, timeout time.Duration) (graceful bool) {
	done := make(chan struct{})
	go func() {
		s.GracefulStop()
		close(done)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		s.Stop()
		<-done
		return false
	}
}

// findRunc resolves the OCI runtime binary the way BuildKit's executor does.
func findRunc(configured string) (string, error) {
	candidates := []string{"buildkit-runc", "runc"}
	if configured != "" {
		candidates = []string{configured}
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("the embedded BuildKit engine needs the %s binary in PATH (apt-get install runc), or use --builder with a BuildKit daemon", candidates[len(candidates)-1])
}
