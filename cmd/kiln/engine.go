package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/builder/engine"
	"github.com/sirupsen/logrus"
)

// newEngineCommand is `kiln engine`.
func newEngineCommand() *command {
	c := &command{
		name:  "engine",
		usage: "engine serve [OPTIONS]",
		short: "Run kiln's embedded BuildKit engine as a daemon (BuildKit API)",
	}
	c.run = func(ctx context.Context, args []string) error {
		switch {
		case len(args) > 0 && args[0] == "serve":
			return runEngineServe(ctx, c, args[1:])
		case len(args) > 0 && (args[0] == "-h" || args[0] == "--help"):
			return runEngineServe(ctx, c, args)
		}
		return fmt.Errorf("usage: kiln %s", c.usage)
	}
	return c
}

func runEngineServe(ctx context.Context, c *command, args []string) error {
	fs := newFlags(c)
	addrs := fs.StringArray("addr", []string{engine.DefaultServeAddr}, "Listening address: unix:///path or tcp://host:port (repeatable)")
	root := fs.String("root", engine.DefaultRoot(), "Engine state directory ($KILN_ROOT)")
	config := fs.String("config", "", "buildkitd.toml to read (default: <root>/buildkitd.toml)")
	tlsCert := fs.String("tlscert", "", "TLS certificate for tcp:// addresses")
	tlsKey := fs.String("tlskey", "", "TLS key for tcp:// addresses")
	tlsCA := fs.String("tlscacert", "", "CA that client certificates must be signed by (mutual TLS)")
	insecureTCP := fs.Bool("insecure-tcp", false, "Serve a non-loopback tcp:// address without mutual TLS: anyone who can reach it can build as root on this host")
	ents := fs.StringArray("allow-insecure-entitlement", nil, `Entitlement builds may ask for: "network.host", "security.insecure", "device" (default: buildkitd.toml's insecure-entitlements, else none)`)
	group := fs.String("group", "", "Group (name or gid) that may use the unix sockets (default: root only)")
	logLevel := fs.String("log-level", "", `BuildKit log level ("error" unless $KILN_LOG_LEVEL; "info", "debug")`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("kiln engine serve: unexpected arguments %v", fs.Args())
	}
	// A daemon's stderr is its log.
	logrus.SetOutput(os.Stderr)
	if *logLevel != "" {
		l, err := logrus.ParseLevel(*logLevel)
		if err != nil {
			return fmt.Errorf("--log-level: %w", err)
		}
		logrus.SetLevel(l)
	}
	// As buildkitd: the flag, when given, replaces the config's list.
	var allowed []string
	if fs.Changed("allow-insecure-entitlement") {
		if err := engine.CheckEntitlements(*ents); err != nil {
			return fmt.Errorf("--allow-insecure-entitlement: %w", err)
		}
		allowed = *ents
	}
	gid := -1
	if *group != "" {
		g, err := lookupGroup(*group)
		if err != nil {
			return err
		}
		gid = g
	}
	warnings, err := engine.CheckServeSecurity(*addrs, engine.TLSFiles{Cert: *tlsCert, Key: *tlsKey, CA: *tlsCA}, *insecureTCP)
	if err != nil {
		return err
	}
	tlsConf, err := engine.ServerTLS(*tlsCert, *tlsKey, *tlsCA)
	if err != nil {
		return err
	}

	// Listen before starting the engine: a bad address fails at once,
	// without touching the state directory.
	listeners, shown, err := listenAll(*addrs, tlsConf, gid)
	if err != nil {
		return err
	}
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for _, w := range warnings {
		fmt.Fprintf(os.Stderr, "WARNING: %s\n", w)
	}

	e, err := engine.Start(ctx, engine.Options{Root: *root, ConfigFile: *config, Entitlements: allowed, Daemon: true})
	if err != nil {
		return err
	}
	defer e.Close()
	// Advertise the first local address: that is where other kiln
	// processes on this machine connect when they find the state busy.
	if err := e.Advertise(advertised(shown)); err != nil {
		return err
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errc <- e.Serve(l) }()
	}
	fmt.Fprintf(os.Stderr, "kiln engine serving %s on %s (insecure entitlements allowed: %s)\n", e.Root(), strings.Join(shown, ", "), describeEntitlements(e.Entitlements()))

	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "kiln engine stopping")
	case err = <-errc:
		err = fmt.Errorf("serve: %w", err)
	}
	if cerr := e.Close(); cerr != nil && !errors.Is(cerr, context.Canceled) {
		err = errors.Join(err, cerr)
	}
	return err
}

// listenAll opens every address, or none: on an error the ones opened are
// closed. shown are the addresses as clients dial them (a tcp port 0
// resolved to the port the system chose).
func listenAll(addrs []string, tlsConf *tls.Config, gid int) (ls []net.Listener, shown []string, err error) {
	defer func() {
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			ls = nil
		}
	}()
	for _, a := range addrs {
		l, err := engine.Listen(a, tlsConf)
		if err != nil {
			return ls, nil, err
		}
		ls = append(ls, l)
		if strings.HasPrefix(a, "tcp://") {
			a = "tcp://" + l.Addr().String()
		}
		shown = append(shown, a)
		if gid >= 0 && strings.HasPrefix(a, "unix://") {
			if err := engine.ChownSocket(a, gid); err != nil {
				return ls, nil, err
			}
		}
	}
	return ls, shown, nil
}

func describeEntitlements(ents []string) string {
	if len(ents) == 0 {
		return "none"
	}
	return strings.Join(ents, ", ")
}

// setupLogging routes BuildKit's logrus output. A build's progress is what
// kiln users read: by default errors only, and, while the embedded engine
// runs, into its state directory's engine.log rather than the terminal
// (they are BuildKit's internal conditions; a failure that matters is the
// solve's error). KILN_LOG_LEVEL=LEVEL prints that level and up on stderr.
// `kiln engine serve` logs to stderr, a daemon's log.
func setupLogging(l *logrus.Logger, envLevel string) {
	if lv, err := logrus.ParseLevel(envLevel); err == nil && envLevel != "" {
		l.SetLevel(lv)
		l.SetOutput(os.Stderr)
		return
	}
	l.SetLevel(logrus.ErrorLevel)
	l.SetOutput(engine.LogWriter(os.Stderr))
}

// advertised prefers a unix socket: it works without TLS settings.
func advertised(addrs []string) string {
	for _, a := range addrs {
		if strings.HasPrefix(a, "unix://") {
			return a
		}
	}
	return addrs[0]
}

// lookupGroup accepts a group name or a numeric gid.
func lookupGroup(name string) (int, error) {
	if gid, err := strconv.Atoi(name); err == nil {
		return gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("--group: %w", err)
	}
	return strconv.Atoi(g.Gid)
}
