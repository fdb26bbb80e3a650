package solve

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/tonistiigi/fsutil"
)

// solveOpt turns a Request into the client.SolveOpt of one solve, one
// concern at a time: the frontend and its attributes (baseOpt), the local
// directories and OCI layouts it reads (mountLocals, ociStores), the
// session's services (attachables) and the outputs (exports). finish,
// given the solve's error, moves the outputs into place if it is nil (else
// removes them) and undoes what was set up; its error is a failed move or
// --load.
func solveOpt(r *request.Request, env *runEnv) (so client.SolveOpt, finish func(solveErr error) error, err error) {
	var cleanup []func() error
	undo := func() error {
		var errs []error
		for _, f := range slices.Backward(cleanup) {
			errs = append(errs, f())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			undo()
		}
	}()
	so = baseOpt(r, env)
	if err := mountLocals(r, &so, env, &cleanup); err != nil {
		return so, nil, err
	}
	if so.OCIStores, err = ociStores(r); err != nil {
		return so, nil, err
	}
	if so.Session, err = attachables(r, env); err != nil {
		return so, nil, err
	}
	outputs, err := exports(r, &so, env, &cleanup)
	cleanup = append(cleanup, func() error {
		for _, o := range outputs {
			o.abort() // a no-op for those finish committed
		}
		return nil
	})
	if err != nil {
		return so, nil, err
	}
	done := func(solveErr error) error {
		var errs []error
		if solveErr == nil {
			for _, o := range outputs {
				errs = append(errs, o.commit())
			}
		}
		errs = append(errs, undo())
		return errors.Join(errs...)
	}
	return so, done, nil
}

// baseOpt is the frontend, its attributes (host-gateway resolved for the
// node), the cache, entitlements and source policy of the solve.
func baseOpt(r *request.Request, env *runEnv) client.SolveOpt {
	so := client.SolveOpt{
		Frontend:            r.Frontend,
		FrontendAttrs:       maps.Clone(r.Attrs),
		LocalMounts:         map[string]fsutil.FS{},
		CacheImports:        slices.Clone(r.CacheImports),
		CacheExports:        slices.Clone(r.CacheExports),
		AllowedEntitlements: slices.Clone(r.Entitlements),
		Internal:            r.Call != nil,
		Ref:                 env.ref(r.Target),
		SourcePolicy:        env.policy,
	}
	if r.UsesHostGateway() {
		so.FrontendAttrs["add-hosts"] = request.WithHostGateway(so.FrontendAttrs["add-hosts"], env.hostGatewayIP)
	}
	if dir, ok := r.Locals["context"]; ok {
		so.SharedKey = sharedKey(dir)
	}
	return so
}

// mountLocals gives the solve its local directories: from the run's shared
// upload session when several targets read one, else mounted for this
// solve alone; an inline Dockerfile is served from a temporary directory.
func mountLocals(r *request.Request, so *client.SolveOpt, env *runEnv, cleanup *[]func() error) error {
	locals := maps.Clone(r.Locals)
	if dir, ok := locals["dockerfile"]; ok && dir == "" { // inline Dockerfile
		dir, err := os.MkdirTemp("", "kiln-dockerfile-")
		if err != nil {
			return err
		}
		*cleanup = append(*cleanup, func() error { os.RemoveAll(dir); return nil })
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(r.DockerfileInline), 0o644); err != nil {
			return err
		}
		locals["dockerfile"] = dir
	}
	for name, dir := range locals {
		if sid := env.sharedSession(name, dir); sid != "" {
			so.FrontendAttrs["local-sessionid:"+name] = sid
			continue
		}
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			return fmt.Errorf("local %s: %w", name, err)
		}
		so.LocalMounts[name] = fs
	}
	return nil
}

// ociStores opens the OCI layouts of oci-layout:// contexts (nil for none).
func ociStores(r *request.Request) (map[string]content.Store, error) {
	if len(r.OCIStores) == 0 {
		return nil, nil
	}
	stores := map[string]content.Store{}
	for id, dir := range r.OCIStores {
		st, err := local.NewStore(dir)
		if err != nil {
			return nil, fmt.Errorf("invalid OCI layout at %s: %w", dir, err)
		}
		stores[id] = st
	}
	return stores, nil
}

// exports adds the request's outputs to so: stdout, --load, and files and
// directories written beside their destination until the solve succeeds.
// The --load stream is closed with the rest of the set-up (Docker loads only
// a complete tarball).
func exports(r *request.Request, so *client.SolveOpt, env *runEnv, cleanup *[]func() error) ([]pendingOutput, error) {
	var outputs []pendingOutput
	for _, e := range r.Exports {
		x := client.ExportEntry{Type: e.Type, Attrs: maps.Clone(e.Attrs), OutputDir: e.Dir}
		switch {
		case e.Load:
			x.Type = env.docker.loadType(e)
			w, err := env.docker.load(r.Target)
			if err != nil {
				return outputs, err
			}
			x.Output = func(map[string]string) (io.WriteCloser, error) { return w, nil }
			*cleanup = append(*cleanup, w.Close)
		case e.File == "-":
			x.Output = func(map[string]string) (io.WriteCloser, error) { return nopCloser{env.stdout}, nil }
		case e.File != "":
			o, err := newFileOutput(e.File)
			if err != nil {
				return outputs, err
			}
			x.Output = o.open
			outputs = append(outputs, o)
		case e.Dir != "":
			mirror := e.Type == client.ExporterLocal && e.Attrs["mode"] == string(client.LocalExporterModeDelete)
			o, err := newDirOutput(e.Dir, e.Type != client.ExporterLocal, mirror, inputDirs(r))
			if err != nil {
				return outputs, err
			}
			x.OutputDir = o.tmp
			outputs = append(outputs, o)
		}
		so.Exports = append(so.Exports, x)
	}
	return outputs, nil
}

// attachables are the session services a solve needs: registry auth,
// secrets and SSH agents.
func attachables(r *request.Request, env *runEnv) ([]session.Attachable, error) {
	var out []session.Attachable
	if env.auth != nil {
		out = append(out, env.auth)
	}
	if len(r.Secrets) > 0 {
		var srcs []secretsprovider.Source
		for _, s := range r.Secrets {
			s = s.ResolveSource()
			srcs = append(srcs, secretsprovider.Source{ID: s.ID, FilePath: s.FilePath, Env: s.Env})
		}
		store, err := secretsprovider.NewStore(srcs)
		if err != nil {
			return nil, fmt.Errorf("secrets: %w", err)
		}
		out = append(out, secretsprovider.NewSecretProvider(store))
	}
	if len(r.SSH) > 0 {
		var confs []sshprovider.AgentConfig
		for _, s := range r.SSH {
			confs = append(confs, sshprovider.AgentConfig{ID: s.ID, Paths: slices.Clone(s.Paths)})
		}
		p, err := sshprovider.NewSSHAgentProvider(confs)
		if err != nil {
			return nil, fmt.Errorf("ssh: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// inputDirs are the directories a solve reads from this machine, and the
// working directory: an output directory holding one is written in place.
func inputDirs(r *request.Request) []string {
	var dirs []string
	if wd, err := os.Getwd(); err == nil {
		dirs = append(dirs, wd)
	}
	for _, d := range r.Locals {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	for _, d := range r.OCIStores {
		dirs = append(dirs, d)
	}
	return dirs
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
