package skip

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// DockerfileRefs are the remote references a Dockerfile reads, found with
// BuildKit's own parser packages, ARGs expanded as the frontend expands
// them.
type DockerfileRefs struct {
	// Syntax is the `# syntax=` frontend image ("" for the built-in one).
	Syntax string
	// Images are the images FROM, COPY --from and RUN --mount from= read,
	// sorted, without stage names and names a named context replaces.
	Images []string
	// Unverifiable says why the result cannot be known from the inputs
	// (ADD of a URL without --checksum, a reference kiln cannot expand);
	// "" when it can.
	Unverifiable string
}

// ParseDockerfile finds the references of dt. args are the build args
// (build-arg:NAME attributes), platforms the target platforms (none: the
// host's), and contexts the named contexts, which replace a FROM or
// --from of the same name.
func ParseDockerfile(dt []byte, args map[string]string, plats []string, contexts map[string]bool) (*DockerfileRefs, error) {
	out := &DockerfileRefs{}
	if syntax, _, _, ok := parser.DetectSyntax(dt); ok {
		out.Syntax = syntax
	}
	if v := args["BUILDKIT_SYNTAX"]; v != "" {
		out.Syntax = v
	}
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, err
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return nil, err
	}
	if len(plats) == 0 {
		plats = []string{platforms.Format(platforms.DefaultSpec())}
	}
	lex := shell.NewLex(res.EscapeToken)
	images := map[string]bool{}
	for _, plat := range plats {
		env, err := metaEnv(lex, metaArgs, args, plat)
		if err != nil {
			return nil, err
		}
		var seen []string // stage names so far: FROM and --from may use them
		addImage := func(ref string) {
			if ref == "" || ref == "scratch" || contexts[ref] || slices.Contains(seen, strings.ToLower(ref)) {
				return
			}
			if _, isIndex := stageIndex(ref, len(seen)); isIndex {
				return
			}
			images[ref] = true
		}
		for _, st := range stages {
			base, err := expand(lex, st.BaseName, env)
			if err != nil {
				out.Unverifiable = fmt.Sprintf("FROM %s: %v", st.BaseName, err)
				return out, nil
			}
			addImage(base)
			for _, c := range st.Commands {
				switch c := c.(type) {
				case *instructions.AddCommand:
					if c.Checksum != "" {
						continue // pinned: the Dockerfile's text decides the content
					}
					for _, src := range c.SourcePaths {
						if isURL(src) {
							out.Unverifiable = "ADD " + src + " (a URL without --checksum)"
							return out, nil
						}
					}
				case *instructions.CopyCommand:
					if c.From != "" {
						from, err := expand(lex, c.From, env)
						if err != nil {
							out.Unverifiable = fmt.Sprintf("COPY --from=%s: %v", c.From, err)
							return out, nil
						}
						addImage(from)
					}
				case *instructions.RunCommand:
					for _, m := range instructions.GetMounts(c) {
						if m.From != "" {
							addImage(m.From)
						}
					}
				}
			}
			if st.Name != "" {
				seen = append(seen, strings.ToLower(st.Name))
			} else {
				seen = append(seen, "") // keeps indexes aligned
			}
		}
	}
	out.Images = slices.Sorted(func(yield func(string) bool) {
		for k := range images {
			if !yield(k) {
				return
			}
		}
	})
	return out, nil
}

// metaEnv is the value of each ARG before the first FROM for one
// platform: the automatic platform args, the defaults, the build args.
func metaEnv(lex *shell.Lex, metaArgs []instructions.ArgCommand, args map[string]string, plat string) (map[string]string, error) {
	p, err := platforms.Parse(plat)
	if err != nil {
		return nil, fmt.Errorf("platform %q: %w", plat, err)
	}
	host := platforms.DefaultSpec()
	env := map[string]string{
		"TARGETPLATFORM": platforms.Format(p), "TARGETOS": p.OS, "TARGETARCH": p.Architecture, "TARGETVARIANT": p.Variant,
		"BUILDPLATFORM": platforms.Format(host), "BUILDOS": host.OS, "BUILDARCH": host.Architecture, "BUILDVARIANT": host.Variant,
	}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if v, ok := args[kv.Key]; ok {
				env[kv.Key] = v
				continue
			}
			if kv.Value == nil {
				if _, ok := env[kv.Key]; !ok {
					env[kv.Key] = ""
				}
				continue
			}
			v, err := expand(lex, *kv.Value, env)
			if err != nil {
				return nil, err
			}
			env[kv.Key] = v
		}
	}
	return env, nil
}

func expand(lex *shell.Lex, word string, env map[string]string) (string, error) {
	kv := make([]string, 0, len(env))
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	res, err := lex.ProcessWordWithMatches(word, shell.EnvsFromSlice(kv))
	if err != nil {
		return "", err
	}
	return res.Result, nil
}

// stageIndex reports whether ref is a stage number (FROM 0, --from=1).
func stageIndex(ref string, n int) (int, bool) {
	var i int
	if _, err := fmt.Sscanf(ref, "%d", &i); err != nil || fmt.Sprint(i) != ref {
		return 0, false
	}
	return i, i < n
}

func isURL(s string) bool {
	for _, p := range []string{"http://", "https://", "git@", "git://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
