package main

import (
	"context"
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

func init() {
	// BuildKit logs through logrus; a build's progress is what kiln users
	// read, so only errors get through unless KILN_LOG_LEVEL says otherwise.
	level := logrus.ErrorLevel
	if l, err := logrus.ParseLevel(os.Getenv("KILN_LOG_LEVEL")); err == nil {
		level = l
	}
	logrus.SetLevel(level)

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
	register(c)
}

func runEngineServe(ctx context.Context, c *command, args []string) error {
	fs := newFlags(c)
	addrs := fs.StringArray("addr", []string{engine.DefaultServeAddr}, "Listening address: unix:///path or tcp://host:port (repeatable)")
	root := fs.String("root", engine.DefaultRoot(), "Engine state directory ($KILN_ROOT)")
	config := fs.String("config", "", "buildkitd.toml to read (default: <root>/buildkitd.toml)")
	tlsCert := fs.String("tlscert", "", "TLS certificate for tcp:// addresses")
	tlsKey := fs.String("tlskey", "", "TLS key for tcp:// addresses")
	tlsCA := fs.String("tlscacert", "", "CA that client certificates must be signed by (mutual TLS)")
	ents := fs.StringArray("allow-insecure-entitlement", nil, `Entitlements builds may ask for (default "network.host" and "security.insecure")`)
	group := fs.String("group", "", "Group (name or gid) that may use the unix sockets (default: root only)")
	logLevel := fs.String("log-level", "", `BuildKit log level ("error" unless $KILN_LOG_LEVEL; "info", "debug")`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("kiln engine serve: unexpected arguments %v", fs.Args())
	}
	if *logLevel != "" {
		l, err := logrus.ParseLevel(*logLevel)
		if err != nil {
			return fmt.Errorf("--log-level: %w", err)
		}
		logrus.SetLevel(l)
	}
	for _, e := range *ents {
		if e != "network.host" && e != "security.insecure" && e != "device" {
			return fmt.Errorf("--allow-insecure-entitlement: unknown entitlement %q", e)
		}
	}
	gid := -1
	if *group != "" {
		g, err := lookupGroup(*group)
		if err != nil {
			return err
		}
		gid = g
	}
	tlsConf, err := engine.ServerTLS(*tlsCert, *tlsKey, *tlsCA)
	if err != nil {
		return err
	}

	e, err := engine.Start(ctx, engine.Options{Root: *root, ConfigFile: *config, Entitlements: *ents})
	if err != nil {
		return err
	}
	defer e.Close()

	var listeners []net.Listener
	for _, a := range *addrs {
		l, err := engine.Listen(a, tlsConf)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return err
		}
		listeners = append(listeners, l)
		if gid >= 0 && strings.HasPrefix(a, "unix://") {
			if err := engine.ChownSocket(a, gid); err != nil {
				return err
			}
		}
	}
	// Advertise the first local address: that is where other kiln
	// processes on this machine connect when they find the state busy.
	if err := e.Advertise(advertised(*addrs)); err != nil {
		return err
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errc <- e.Serve(l) }()
	}
	fmt.Fprintf(os.Stderr, "kiln engine serving %s on %s\n", e.Root(), strings.Join(*addrs, ", "))

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
