package solve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/docker/buildx/policy"
	"github.com/docker/buildx/util/confutil"
	"github.com/docker/buildx/util/sourcemeta"
	"github.com/kiln-build/kiln/builder/request"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/sourcepolicy/policysession"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
)

// attachPolicy loads the request's Rego policies and sets the session
// callback BuildKit asks about every source of the solve, as buildx's
// configureSourcePolicy does: each policy is buildx's policy.Policy, all must
// allow (policy.MultiPolicyCallback), and a source denied fails the solve
// with BuildKit's "not allowed by policy" error and the policy's messages.
// The policies' log lines go to a "loading policies" step of the target's
// progress (policyLog) and the source resolver's own solve reports there
// too, as in buildx; open gives a new progress channel of the target,
// unprefixed as buildx writes these (nil: no display). release, given the
// solve's error, ends the step and closes the resolver the policies use for
// source metadata.
func attachPolicy(ctx context.Context, r *request.Request, c *client.Client, so *client.SolveOpt, open func() chan *client.SolveStatus) (release func(error), err error) {
	release = func(error) {}
	if r.Policy == nil {
		return release, nil
	}
	groups, err := r.Policy.Groups()
	if err != nil || len(groups) == 0 {
		return release, err
	}
	var ropts []sourcemeta.Option
	var resolverCh chan *client.SolveStatus
	if open != nil {
		resolverCh = open()
		ropts = append(ropts, sourcemeta.WithProgressWriter(chanWriter{resolverCh}))
	}
	resolver := sourcemeta.NewResolver(c, append(ropts, sourcemeta.WithSession(so.Session))...)
	var logger *policyLog
	var policies []*policy.Policy
	var once sync.Once
	release = func(err error) {
		once.Do(func() {
			// As buildx, the step shows the error only when the policy caused it.
			if len(policysession.DenyMessages(err)) > 0 || isPolicyError(policies, err) {
				logger.Close(err)
			} else {
				logger.Close(nil)
			}
			_ = resolver.Close()
			if resolverCh != nil {
				close(resolverCh)
			}
		})
	}
	files := policyFS(r.Policy.ContextDir)
	if st := r.Policy.ContextState; st != nil {
		files.remote = &remotePolicyFS{ctx: context.WithoutCancel(ctx), resolver: resolver, state: *st}
	}
	defer func() {
		if err != nil {
			release(err)
			release = func(error) {}
		}
	}()
	var loaded [][]policy.File
	var kept []request.PolicyGroup
	var names []string
	for _, g := range groups {
		var fl []policy.File
		for _, f := range g.Files {
			if f.Data == nil {
				dt, ok, err := readPolicyFile(files, f.Filename)
				if err != nil {
					return release, err
				}
				if !ok {
					if f.Optional {
						continue
					}
					return release, fmt.Errorf("policy file %s not found", f.Filename)
				}
				f.Data = dt
			}
			fl = append(fl, policy.File{Filename: f.Filename, Data: f.Data})
			if f.Filename != "" {
				names = append(names, f.Filename)
			}
		}
		if len(fl) > 0 {
			loaded = append(loaded, fl)
			kept = append(kept, g)
		}
	}
	if len(loaded) == 0 {
		return release, nil
	}
	if open != nil && len(names) > 0 {
		logger = newPolicyLog(open(), "loading policies "+strings.Join(names, ", "))
	}
	var defPlatform *ocispecs.Platform
	if ws, err := c.ListWorkers(ctx); err == nil && len(ws) > 0 && len(ws[0].Platforms) > 0 {
		p := platforms.Normalize(ws[0].Platforms[0])
		defPlatform = &p
	}
	var verifier policy.PolicyVerifierProvider
	if r.Policy.ConfigDir != "" {
		verifier = policy.SignatureVerifier(confutil.NewConfig(nil, confutil.WithDir(r.Policy.ConfigDir)))
	}
	var cbs []policysession.PolicyCallback
	for i, fl := range loaded {
		// buildx logs at its logrus level: info, debug with --debug.
		// kiln's logrus level is error unless KILN_LOG_LEVEL (BuildKit's
		// own logs, not a build's): info unless that asks for more.
		level := max(logrus.InfoLevel, logrus.GetLevel())
		if kept[i].LogLevel != nil {
			level = *kept[i].LogLevel
		}
		p := policy.NewPolicy(policy.Opt{
			Files: fl,
			Env:   r.Policy.Env,
			Log: func(l logrus.Level, msg string) {
				if logger != nil && l <= level {
					logger.Log(msg)
				}
			},
			FS:               func() (fs.StatFS, func() error, error) { return files, nil, nil },
			VerifierProvider: verifier,
			DefaultPlatform:  defPlatform,
			SourceResolver:   resolver,
		})
		if !kept[i].SkipCaps {
			caps, err := p.CheckCaps(ctx)
			if err != nil {
				return release, fmt.Errorf("failed to evaluate policy caps: %w", err)
			}
			if caps[policy.CapExecProxy] {
				so.ProxyNetwork = true
			}
		}
		policies = append(policies, p)
		cbs = append(cbs, p.CheckPolicy)
	}
	if so.ProxyNetwork {
		logger.Log("policy enabled network proxy")
	}
	so.SourcePolicyProvider = policysession.NewPolicyProvider(policy.MultiPolicyCallback(cbs...))
	return release, nil
}

// isPolicyError is buildx's isPolicyEvaluationError: err came from
// evaluating one of the policies.
func isPolicyError(policies []*policy.Policy, err error) bool {
	for _, p := range policies {
		if p != nil && p.IsPolicyError(err) {
			return true
		}
	}
	return false
}

// policyFiles reads policy files as buildx's policyPathFS: "cwd://name" from
// the working directory, anything else from the build context.
type policyFiles struct {
	contextDir string
	remote     *remotePolicyFS // a remote context's files, instead of contextDir
}

func policyFS(contextDir string) policyFiles { return policyFiles{contextDir: contextDir} }

func (p policyFiles) resolve(name string) (string, string, error) {
	if name == "" {
		return "", "", errors.New("policy filename is empty")
	}
	if v, ok := strings.CutPrefix(name, "cwd://"); ok {
		if v == "" {
			return "", "", fmt.Errorf("invalid policy filename %q", name)
		}
		return ".", path.Clean(filepath.ToSlash(v)), nil
	}
	if p.contextDir == "" {
		return "", "", fs.ErrNotExist
	}
	if filepath.IsAbs(name) {
		if rel, err := filepath.Rel(p.contextDir, name); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			name = rel
		}
	}
	return p.contextDir, path.Clean(filepath.ToSlash(name)), nil
}

// open opens name inside its root with os.Root, so a policy file or import
// cannot reach outside the directory it is read from (as in buildx).
func (p policyFiles) open(name string) (fs.StatFS, string, func() error, error) {
	dir, rel, err := p.resolve(name)
	if err != nil {
		return nil, "", nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, "", nil, err
	}
	return root.FS().(fs.StatFS), rel, root.Close, nil
}

func (p policyFiles) Open(name string) (fs.File, error) {
	if p.remote != nil && !strings.HasPrefix(name, "cwd://") {
		return p.remote.Open(name)
	}
	fsys, rel, closeRoot, err := p.open(name)
	if err != nil {
		return nil, err
	}
	defer closeRoot()
	dt, err := fs.ReadFile(fsys, rel)
	if err != nil {
		return nil, err
	}
	st, err := fsys.Stat(rel)
	if err != nil {
		return nil, err
	}
	return &memFile{Reader: strings.NewReader(string(dt)), info: st}, nil
}

func (p policyFiles) Stat(name string) (fs.FileInfo, error) {
	if p.remote != nil && !strings.HasPrefix(name, "cwd://") {
		return p.remote.Stat(name)
	}
	fsys, rel, closeRoot, err := p.open(name)
	if err != nil {
		return nil, err
	}
	defer closeRoot()
	return fsys.Stat(rel)
}

type memFile struct {
	*strings.Reader
	info fs.FileInfo
}

func (f *memFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *memFile) Close() error               { return nil }

// readPolicyFile is buildx's loadPolicyData: a missing file is reported as
// not found (ok false), any other failure as an error.
func readPolicyFile(files policyFiles, name string) ([]byte, bool, error) {
	if _, err := files.Stat(name); err != nil {
		if isNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("failed to stat policy file %s: %w", name, err)
	}
	dt, err := fs.ReadFile(files, name)
	if err != nil {
		if isNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("failed to read policy file %s: %w", name, err)
	}
	return dt, true, nil
}

func isNotFound(err error) bool {
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "not found") || strings.Contains(msg, "no such file")
}
