package bake

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/kiln-build/kiln/hclspec"
)

var targetNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

func validateTargetName(name string) error {
	if !targetNamePattern.MatchString(name) {
		return fmt.Errorf("only %q are allowed", "[a-zA-Z0-9_-]+")
	}
	return nil
}

// ParseOptions are the inputs of ParseFiles besides the files.
type ParseOptions struct {
	// Defaults are the built-in variables (BAKE_CMD_CONTEXT, BAKE_LOCAL_PLATFORM).
	Defaults map[string]string
	// Vars are --var values.
	Vars map[string]string
	// LookupEnv reads the environment; nil reads none.
	LookupEnv func(string) (string, bool)
	// Environ is the environment compose files are interpolated with (when
	// LookupEnv is not nil).
	Environ []string
	// FileRelativePaths resolves relative context paths from the directory
	// of the file that sets them (BUILDX_BAKE_FILE_RELATIVE_PATHS).
	FileRelativePaths bool
}

// ParseFiles evaluates bake files into one Config, as buildx ParseFiles:
// compose files (detected by name or content) are loaded together first,
// then all HCL and HCL-JSON files are evaluated together over them; a target
// named in both is merged, the HCL definition applied last. Targets a matrix
// renamed get a group of the original name.
func ParseFiles(files []File, opts ParseOptions) (*Config, *hclspec.Meta, error) {
	envs, err := composeEnv(opts.LookupEnv != nil, opts.Environ, opts.Vars)
	if err != nil {
		return nil, nil, err
	}
	var composeFiles []File
	var hclFiles []hclspec.File
	var parsed []*hcl.File
	for _, f := range files {
		isCompose, composeErr := isComposeFile(f, envs)
		if isCompose {
			if composeErr != nil {
				return nil, nil, composeErr
			}
			composeFiles = append(composeFiles, f)
			continue
		}
		hf, pf, err := hclSyntax(f)
		if err != nil {
			if composeErr != nil && hf.Name == "" {
				return nil, nil, fmt.Errorf("failed to parse %s: parsing yaml: %v, parsing hcl: %w", f.Name, composeErr, err)
			}
			return nil, nil, diagnosticsError(err.(hcl.Diagnostics), files)
		}
		hclFiles = append(hclFiles, hf)
		parsed = append(parsed, pf)
	}

	var c Config
	if len(composeFiles) > 0 {
		cfg, err := parseCompose(composeFiles, envs)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to parse compose file: %w", err)
		}
		if opts.FileRelativePaths {
			setComposeBases(cfg, composeFiles)
		}
		c = dedupeConfig(mergeConfig(c, *cfg))
	}

	meta := &hclspec.Meta{}
	if len(hclFiles) > 0 {
		var hc Config
		m, diags := hclspec.Parse(hclFiles, hclspec.Options{
			Defaults:      opts.Defaults,
			Vars:          opts.Vars,
			LookupEnv:     opts.LookupEnv,
			ValidateLabel: validateTargetName,
		}, &hc)
		if diags.HasErrors() {
			return nil, nil, diagnosticsError(diags, files)
		}
		if m != nil {
			meta = m
		}
		if meta.Variables == nil {
			// buildx lists no variables as [] once HCL is evaluated (null otherwise)
			meta.Variables = []*hclspec.Variable{}
		}
		c = overlayConfig(c, hc)
		if opts.FileRelativePaths {
			r := c.resolver()
			for _, pf := range parsed {
				applyBlockBases(r, targetBlockBases(pf), meta.Renamed["target"])
			}
		}
		for _, typ := range sortedKeys(meta.Renamed) {
			renamed := meta.Renamed[typ]
			for _, oldName := range sortedKeys(renamed) {
				newNames := dedupStrings(renamed[oldName])
				if len(newNames) == 1 && oldName == newNames[0] {
					continue
				}
				c.Groups = append(c.Groups, &Group{Name: oldName, Targets: newNames})
			}
		}
		c = dedupeConfig(c)
		c.sources, c.renamed, c.decls = parsed, meta.Renamed["target"], meta.Decls
	}
	if opts.FileRelativePaths {
		rebaseContextPaths(&c)
	}
	return &c, meta, nil
}

// overlayConfig decodes HCL blocks over what compose declared, as buildx's
// HCL parser does when its destination is not empty: a target of the same
// name is merged into, a group of the same name is replaced.
func overlayConfig(c, h Config) Config {
	byName := make(map[string]*Target, len(c.Targets))
	for _, t := range c.Targets {
		if _, ok := byName[t.Name]; !ok {
			byName[t.Name] = t
		}
	}
	for _, g := range h.Groups {
		replaced := false
		for i, g0 := range c.Groups {
			if g0.Name == g.Name {
				c.Groups[i] = g
				replaced = true
				break
			}
		}
		if !replaced {
			c.Groups = append(c.Groups, g)
		}
	}
	for _, t := range h.Targets {
		if t0 := byName[t.Name]; t0 != nil {
			t0.Merge(t)
			continue
		}
		byName[t.Name] = t
		c.Targets = append(c.Targets, t)
	}
	return c
}

// hclSyntax checks that f is HCL or HCL-JSON and returns it as hclspec reads
// it, parsed (hclspec.ParseSyntax: the rules and names are buildx's). When
// neither syntax parses, the returned File has no name and the error is the
// HCL one.
func hclSyntax(f File) (hclspec.File, *hcl.File, error) {
	hf, diags := hclspec.ParseSyntax(f.Name, f.Data)
	return hf, hf.Parsed, diagsErr(diags)
}

// diagnosticsError renders diags through hclspec, quoting files.
func diagnosticsError(diags hcl.Diagnostics, files []File) error {
	sources := make([]hclspec.File, len(files))
	for i, f := range files {
		sources[i] = hclspec.File{Name: f.Name, Data: f.Data}
	}
	return &hclspec.DiagnosticsError{Diags: diags, Files: sources}
}

func diagsErr(d hcl.Diagnostics) error {
	if d.HasErrors() {
		return d
	}
	return nil
}
