// Package remote reads remote bake definitions (`bake https://…/repo.git#ref`,
// `git@…`, an HTTP(S) tarball or file) the way buildx's bake.ReadRemoteFiles
// does: through BuildKit, on the node the build runs on. BuildKit fetches
// the Git repository or the URL (its own git client, its own HTTP cache),
// kiln reads the bake files from the result, and the fetched source becomes
// the Input the targets take their default context from. Going through
// BuildKit rather than a git client on this host keeps what is fetched, how
// refs and subdirectories resolve, and the errors, BuildKit's own.
package remote

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/docker/go-units"
	"github.com/kiln-build/kiln/bake"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/moby/buildkit/util/archiveutil"
)

// maxDefinitionSize is buildx's limit for a URL that is not an archive.
const maxDefinitionSize = 2 * 1024 * 1024

// Read fetches url through c and reads the named bake files from it (the
// default file names, those that exist, when names is empty). A URL that
// is neither Git nor HTTP(S) is refused. environ ("KEY=VALUE") supplies
// BUILDX_BAKE_GIT_SSH, BUILDX_BAKE_GIT_AUTH_TOKEN/HEADER and
// BUILDX_BAKE_GIT_ADVICE; status, when not nil, receives the progress of
// the fetch and is closed.
func Read(ctx context.Context, c *client.Client, url string, names []string, environ []string, status chan *client.SolveStatus) ([]bake.File, *bake.Input, error) {
	lookupEnv := lookup(environ)
	var sessions []session.Attachable
	var filename string
	keepGitDir := false
	advice, _ := lookupEnv("BUILDX_BAKE_GIT_ADVICE")
	gitAdvice, _ := strconv.ParseBool(advice)
	st, ok, err := dockerui.DetectGitContext(url, &keepGitDir, llb.GitAdvice(gitAdvice))
	if ok {
		if err != nil {
			closeStatus(status)
			return nil, nil, err
		}
		sessions = gitSessions(url, lookupEnv, environ)
	} else {
		st, filename, ok = dockerui.DetectHTTPContext(url)
		if !ok {
			closeStatus(status)
			return nil, nil, errors.New("not url context")
		}
	}
	inp := &bake.Input{State: st, URL: url}
	var files []bake.File
	var fetchErr error
	_, err = c.Build(ctx, client.SolveOpt{Session: sessions, Internal: true}, "kiln", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		ref, err := solve(ctx, gc, *st)
		if err != nil {
			fetchErr = err
			return nil, err
		}
		if filename != "" {
			files, err = filesFromURLRef(ctx, gc, ref, inp, filename, names)
		} else {
			files, err = filesFromRef(ctx, ref, names)
		}
		return nil, err
	}, status)
	if fetchErr != nil {
		return nil, nil, fetchError(url, fetchErr)
	}
	if err != nil {
		return nil, nil, err
	}
	return files, inp, nil
}

// fetchError is the one-line error for a source BuildKit could not fetch.
// buildx does not evaluate the source first: with the default file names
// every stat then fails and it only says "couldn't find a bake definition"
// (the cause is in the progress display); kiln names the URL and the cause.
func fetchError(url string, err error) error {
	return fmt.Errorf("remote bake definition %s: %s", url, oneLine(err.Error()))
}

// oneLine joins the lines of a multi-line message (git's stderr) into one.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

func closeStatus(ch chan *client.SolveStatus) {
	if ch != nil {
		close(ch)
	}
}

// solve solves st and runs it, so that a fetch failure is reported as
// such rather than as a missing file.
func solve(ctx context.Context, gc gateway.Client, st llb.State) (gateway.Reference, error) {
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	res, err := gc.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return nil, err
	}
	ref, err := res.SingleRef()
	if err != nil {
		return nil, err
	}
	if ref == nil {
		return nil, errors.New("empty result")
	}
	if err := ref.Evaluate(ctx); err != nil {
		return nil, err
	}
	return ref, nil
}

// gitSessions are the SSH agent (BUILDX_BAKE_GIT_SSH, else SSH_AUTH_SOCK)
// and the Git credentials for the URL's host, as buildx attaches them;
// each only when it can be set up.
func gitSessions(url string, lookupEnv func(string) (string, bool), environ []string) []session.Attachable {
	var out []session.Attachable
	paths, _ := lookupEnv("BUILDX_BAKE_GIT_SSH")
	cfg := sshprovider.AgentConfig{ID: "default", Paths: strings.Split(paths, ",")}
	if len(cfg.Paths) == 1 && cfg.Paths[0] == "" {
		// sshprovider would read SSH_AUTH_SOCK from the process; read it
		// from the environment kiln evaluates with instead
		if sock, ok := lookupEnv("SSH_AUTH_SOCK"); ok && sock != "" {
			cfg.Paths = []string{sock}
		}
	}
	if ssh, err := sshprovider.NewSSHAgentProvider([]sshprovider.AgentConfig{cfg}); err == nil {
		out = append(out, ssh)
	}
	var srcs []secretsprovider.Source
	for _, s := range bake.GitAuthSecrets(url, environ) {
		srcs = append(srcs, secretsprovider.Source{ID: s.ID, Env: s.Env})
	}
	if len(srcs) > 0 {
		if store, err := secretsprovider.NewStore(srcs); err == nil {
			out = append(out, secretsprovider.NewSecretProvider(store))
		}
	}
	return out
}

// filesFromURLRef is buildx's: an archive is unpacked and read like a
// repository; anything else is the one bake file, named by its URL.
func filesFromURLRef(ctx context.Context, gc gateway.Client, ref gateway.Reference, inp *bake.Input, filename string, names []string) ([]bake.File, error) {
	stat, err := ref.StatFile(ctx, gateway.StatRequest{Path: filename})
	if err != nil {
		return nil, err
	}
	dt, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: filename, Range: &gateway.FileRange{Length: 1024}})
	if err != nil {
		return nil, err
	}
	if archiveutil.IsArchive(dt) {
		// buildx v0.38.2 passes the *llb.State itself to llb.Copy and
		// fails ("invalid input type *llb.State for copy"); the state is
		// what it means.
		unpacked := llb.Scratch().File(llb.Copy(*inp.State, filename, "/", &llb.CopyInfo{AttemptUnpack: true}))
		inp.State = &unpacked
		inp.URL = ""
		ref, err := solve(ctx, gc, unpacked)
		if err != nil {
			return nil, err
		}
		return filesFromRef(ctx, ref, names)
	}
	inp.State = nil
	name := inp.URL
	inp.URL = ""
	// buildx v0.38.2 compares the other way round (len(dt) > size) and so
	// keeps only the first 1024 bytes of a longer file
	if int64(len(dt)) < stat.Size {
		if stat.Size > maxDefinitionSize {
			return nil, fmt.Errorf("non-archive definition URL bigger than maximum allowed size (%s)", units.HumanSize(maxDefinitionSize))
		}
		if dt, err = ref.ReadFile(ctx, gateway.ReadRequest{Filename: filename}); err != nil {
			return nil, err
		}
	}
	return []bake.File{{Name: name, Data: dt}}, nil
}

// filesFromRef reads names from the fetched tree; with no names, the
// default files that exist.
func filesFromRef(ctx context.Context, ref gateway.Reference, names []string) ([]bake.File, error) {
	isDefault := len(names) == 0
	if isDefault {
		names = bake.DefaultFileNames()
	}
	var files []bake.File
	for _, name := range names {
		if _, err := ref.StatFile(ctx, gateway.StatRequest{Path: name}); err != nil {
			if isDefault {
				continue
			}
			return nil, err
		}
		dt, err := ref.ReadFile(ctx, gateway.ReadRequest{Filename: name})
		if err != nil {
			return nil, err
		}
		files = append(files, bake.File{Name: name, Data: dt})
	}
	return files, nil
}

// lookup finds variables in environ (the last of a name wins, as in exec).
func lookup(environ []string) func(string) (string, bool) {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}
