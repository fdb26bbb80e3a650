package bake

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/docker/buildx/util/buildflags"
	"github.com/docker/buildx/util/platformutil"
	"github.com/docker/go-units"
)

// The checks here are every rule about the values of a bake file that
// buildx applies before --print; the builder relies on them (it gets
// targets only from Load) and keeps only what it learns at session time.

// specError is a value of a target a build could not use, with the
// attribute that holds it (as bake files spell it) so that Load can place
// the error where the user wrote the value.
type specError struct {
	attr string
	// elem, when set, says which element of a list attribute is at fault
	// (given its literal text); key names the entry of a map attribute.
	elem func(lit string) bool
	key  string
	err  error
}

func (e *specError) Error() string { return e.err.Error() }
func (e *specError) Unwrap() error { return e.err }

func bad(attr string, err error) error { return &specError{attr: attr, err: err} }

// sameSpec matches the literal of a list element that parses to want.
func sameSpec[T any, P interface {
	*T
	UnmarshalText([]byte) error
	Equal(*T) bool
}](want *T) func(string) bool {
	return func(lit string) bool {
		v := P(new(T))
		return v.UnmarshalText([]byte(lit)) == nil && v.Equal(want)
	}
}

// prepare does to a resolved target what buildx does while turning it into
// build options, before --print: it cleans the context path (dropping a
// `cwd://` prefix), sends file outputs without dest to stdout ("-"), and
// rejects values a build could not use (platforms, shm-size, ulimits,
// annotations, resources, secrets and ssh sources, outputs).
func (t *Target) prepare(lookupEnv func(string) (string, bool), stdoutTerminal bool, urls *urlKinds, inp *Input, environ []string) error {
	if t.Context != nil && *t.Context == "-" {
		return bad("context", fmt.Errorf("context from stdin not allowed in bake"))
	}
	if t.Dockerfile != nil && *t.Dockerfile == "-" {
		return bad("dockerfile", fmt.Errorf("dockerfile from stdin not allowed in bake"))
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
			return bad("shm-size", fmt.Errorf("invalid value %s for membytes key shm-size", *t.ShmSize))
		}
	}
	if _, err := platformutil.Parse(t.Platforms); err != nil {
		return bad("platforms", err)
	}
	for _, s := range t.Secrets.Normalize() {
		if err := checkSecret(s, lookupEnv); err != nil {
			return &specError{attr: "secret", elem: sameSpec(s), err: err}
		}
	}
	t.remoteSession(inp, contextPath, environ, urls)
	if err := t.checkSSH(lookupEnv, urls); err != nil {
		return err
	}
	if err := prepareOutputs(t.Outputs, stdoutTerminal); err != nil {
		return err
	}
	// ParseAnnotations compiles a regexp on every call: skip it when there is nothing to parse
	if len(t.Annotations) > 0 {
		if _, err := buildflags.ParseAnnotations(t.Annotations); err != nil {
			return bad("annotations", err)
		}
	}
	for _, field := range t.Ulimits {
		if _, err := units.ParseUlimit(field); err != nil {
			return &specError{attr: "ulimits", elem: func(lit string) bool { return lit == field }, err: err}
		}
	}
	return checkResources(t.Resources.ToEntries())
}

// SSHAgents are the SSH agents a build of t forwards: those it names, else
// the default agent when its context is a Git repository reached over SSH,
// and only the default agent when the bake definition itself was read from
// one (buildx's toBuildOpt): BuildKit needs it to fetch them.
func (t *Target) SSHAgents() buildflags.SSHKeys { return t.sshAgents(buildflags.IsGitSSH) }

func (t *Target) sshAgents(isGitSSH func(string) bool) buildflags.SSHKeys {
	if t.sshDefault || len(t.SSH) == 0 && t.Context != nil && isGitSSH(*t.Context) {
		return buildflags.SSHKeys{{ID: "default"}}
	}
	return t.SSH
}

func (t *Target) checkSSH(lookupEnv func(string) (string, bool), urls *urlKinds) error {
	spec, err := checkSSH(t.sshAgents(urls.isGitSSH), lookupEnv)
	switch {
	case err == nil:
		return nil
	case len(t.SSH) == 0 || t.sshDefault: // the default agent of a Git context
		return bad("context", err)
	default:
		return &specError{attr: "ssh", elem: sameSpec(spec), err: err}
	}
}

// prepareOutputs validates outputs as buildx's CreateExports does, and like
// it sets dest "-" on file exporters that have none (what --print shows).
func prepareOutputs(entries []*buildflags.ExportEntry, stdoutTerminal bool) error {
	stdoutUsed := false
	for _, entry := range entries {
		written := *entry
		if err := prepareOutput(entry, &stdoutUsed, stdoutTerminal); err != nil {
			return &specError{attr: "output", elem: sameSpec(&written), err: err}
		}
	}
	return nil
}

func prepareOutput(entry *buildflags.ExportEntry, stdoutUsed *bool, stdoutTerminal bool) error {
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
	if !supportFile {
		return nil
	}
	if entry.Destination == "" && typ != "docker" {
		entry.Destination = "-"
	}
	switch entry.Destination {
	case "-":
		if *stdoutUsed {
			return fmt.Errorf("multiple outputs configured to write to stdout")
		}
		if stdoutTerminal {
			return fmt.Errorf("dest file is required for %s exporter. refusing to write to console", typ)
		}
		*stdoutUsed = true
	case "":
	default:
		fi, err := os.Stat(entry.Destination)
		if err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("invalid destination file: %s: %w", entry.Destination, err)
		}
		if err == nil && fi.IsDir() {
			return fmt.Errorf("destination file %s is a directory", entry.Destination)
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
			return &specError{attr: "resources", key: k, err: fmt.Errorf("invalid value %q for resource %s: %w", v, k, err)}
		}
	}
	return nil
}
