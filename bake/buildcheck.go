package bake

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"errors"
	"github.com/docker/buildx/util/buildflags"
	"github.com/docker/buildx/util/platformutil"
	"github.com/docker/buildx/util/urlutil"
	"github.com/docker/go-units"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	tunits "github.com/tonistiigi/units"
)

// prepare does to a resolved target what buildx does while turning it into
// build options, before --print: it cleans the context path (dropping a
// `cwd://` prefix), sends file outputs without dest to stdout ("-"), and
// rejects values a build could not use (platforms, shm-size, ulimits,
// annotations, resources, secrets and ssh sources, outputs).
func (t *Target) prepare(lookupEnv func(string) (string, bool), stdoutTerminal bool, urls *urlKinds, inp *Input, environ []string) error {
	if t.Context != nil && *t.Context == "-" {
		return fmt.Errorf("context from stdin not allowed in bake")
	}
	if t.Dockerfile != nil && *t.Dockerfile == "-" {
		return fmt.Errorf("dockerfile from stdin not allowed in bake")
	}
	contextPath := "."
	if t.Context != nil {
		contextPath = *t.Context
	}
	if !strings.HasPrefix(contextPath, "cwd://") && !urls.isRemote(contextPath) {
		contextPath = path.Clean(contextPath)
	}
	contextPath, err := t.applyRemoteInput(inp, contextPath)
	if err != nil {
		return err
	}
	if v, ok := strings.CutPrefix(contextPath, "cwd://"); ok {
		contextPath = path.Clean(v)
	}
	t.Context = &contextPath

	if t.ShmSize != nil {
		if _, err := units.RAMInBytes(*t.ShmSize); err != nil {
			return fmt.Errorf("invalid value %s for membytes key shm-size", *t.ShmSize)
		}
	}
	if _, err := platformutil.Parse(t.Platforms); err != nil {
		return err
	}
	if err := checkSecrets(t.Secrets.Normalize(), lookupEnv); err != nil {
		return err
	}
	t.remoteSession(inp, contextPath, environ, urls)
	if err := t.checkSSH(lookupEnv); err != nil {
		return err
	}
	if err := prepareOutputs(t.Outputs, stdoutTerminal); err != nil {
		return err
	}
	// ParseAnnotations compiles a regexp on every call: skip it when there is nothing to parse
	if len(t.Annotations) > 0 {
		if _, err := buildflags.ParseAnnotations(t.Annotations); err != nil {
			return err
		}
	}
	for _, field := range t.Ulimits {
		if _, err := units.ParseUlimit(field); err != nil {
			return err
		}
	}
	return checkResources(t.Resources.ToEntries())
}

// checkSecrets rejects secrets a build could not read, as BuildKit's
// secretsprovider.NewStore does: an id alone names an environment variable
// when one is set, else a file.
func checkSecrets(secrets buildflags.Secrets, lookupEnv func(string) (string, bool)) error {
	for _, s := range secrets {
		if s.ID == "" {
			return errors.New("secret missing ID")
		}
		path := s.FilePath
		if s.Env == "" && path == "" {
			if _, ok := lookupEnv(s.ID); !ok {
				path = s.ID
			}
		}
		if path == "" {
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("failed to stat %s: %w", path, err)
		}
		if fi.Size() > secretsprovider.MaxSecretSize {
			return fmt.Errorf("secret %s too big. max size %#.f", s.ID, secretsprovider.MaxSecretSize*tunits.B)
		}
	}
	return nil
}

func (t *Target) checkSSH(lookupEnv func(string) (string, bool)) error {
	specs := t.BuildSSH()
	configs := make([]sshprovider.AgentConfig, 0, len(specs))
	for _, s := range specs {
		cfg := sshprovider.AgentConfig{ID: s.ID, Paths: slices.Clone(s.Paths)}
		if len(cfg.Paths) == 0 || len(cfg.Paths) == 1 && cfg.Paths[0] == "" {
			// BuildKit reads SSH_AUTH_SOCK itself; read it from the
			// evaluation environment instead.
			sock, _ := lookupEnv("SSH_AUTH_SOCK")
			if sock == "" {
				return fmt.Errorf("failed to convert agent config %v: invalid empty ssh agent socket: make sure SSH_AUTH_SOCK is set", cfg)
			}
			cfg.Paths = []string{sock}
		}
		configs = append(configs, cfg)
	}
	_, err := sshprovider.NewSSHAgentProvider(configs)
	return err
}

// prepareOutputs validates outputs as buildx's CreateExports does, and like
// it sets dest "-" on file exporters that have none (what --print shows).
func prepareOutputs(entries []*buildflags.ExportEntry, stdoutTerminal bool) error {
	stdoutUsed := false
	for _, entry := range entries {
		if entry.Type == "" {
			return fmt.Errorf("type is required for output")
		}
		typ := entry.Type
		var supportFile, supportDir bool
		switch typ {
		case "local":
			supportDir = true
		case "tar":
			supportFile = true
		case "oci", "docker":
			tar, err := strconv.ParseBool(entry.Attrs["tar"])
			if err != nil {
				tar = true
			}
			supportFile, supportDir = tar, !tar
		case "registry":
			typ = "image"
		}
		if supportDir {
			if entry.Destination == "" {
				return fmt.Errorf("dest is required for %s exporter", typ)
			}
			if entry.Destination == "-" {
				return fmt.Errorf("dest cannot be stdout for %s exporter", typ)
			}
			fi, err := os.Stat(entry.Destination)
			if err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("invalid destination directory: %s: %w", entry.Destination, err)
			}
			if err == nil && !fi.IsDir() {
				return fmt.Errorf("destination directory %s is a file", entry.Destination)
			}
		}
		if supportFile {
			if entry.Destination == "" && typ != "docker" {
				entry.Destination = "-"
			}
			if entry.Destination == "-" {
				if stdoutUsed {
					return fmt.Errorf("multiple outputs configured to write to stdout")
				}
				if stdoutTerminal {
					return fmt.Errorf("dest file is required for %s exporter. refusing to write to console", typ)
				}
				stdoutUsed = true
			} else if entry.Destination != "" {
				fi, err := os.Stat(entry.Destination)
				if err != nil && !os.IsNotExist(err) {
					return fmt.Errorf("invalid destination file: %s: %w", entry.Destination, err)
				}
				if err == nil && fi.IsDir() {
					return fmt.Errorf("destination file %s is a directory", entry.Destination)
				}
			}
		}
	}
	return nil
}

// checkResources validates resource limits as buildx ParseResourceLimits does.
func checkResources(entries []string) error {
	for _, entry := range entries {
		k, v, _ := strings.Cut(entry, "=")
		var err error
		switch k {
		case "memory":
			_, err = units.RAMInBytes(v)
		case "memory-swap":
			if v != "-1" {
				_, err = units.RAMInBytes(v)
			}
		case "cpu-shares", "cpu-period", "cpu-quota":
			_, err = strconv.ParseInt(v, 10, 64)
		}
		if err != nil {
			return fmt.Errorf("invalid value %q for resource %s: %w", v, k, err)
		}
	}
	return nil
}

// urlKinds remembers what urlutil.IsRemoteURL and buildflags.IsGitSSH say
// of each context: both parse it as a Git URL and build an error with a
// stack trace when it is not one, and thousands of targets share a few
// contexts.
type urlKinds struct{ remote, gitSSH map[string]bool }

func (u *urlKinds) isRemote(s string) bool {
	v, ok := u.remote[s]
	if !ok {
		if u.remote == nil {
			u.remote = map[string]bool{}
		}
		v = urlutil.IsRemoteURL(s)
		u.remote[s] = v
	}
	return v
}

func (u *urlKinds) isGitSSH(s string) bool {
	v, ok := u.gitSSH[s]
	if !ok {
		if u.gitSSH == nil {
			u.gitSSH = map[string]bool{}
		}
		v = buildflags.IsGitSSH(s)
		u.gitSSH[s] = v
	}
	return v
}
