package bake

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// MarshalJSON escapes `${` and `%{` in the string values that buildx escapes,
// so that printed definitions can be read back as bake files unchanged.
func (t *Target) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.escaped())
}

// escaped is t as printed: a value, which has no MarshalJSON method.
func (t *Target) escaped() Target {
	tgt := *t
	tgt.Annotations = slices.Clone(t.Annotations)
	for i, v := range tgt.Annotations {
		tgt.Annotations[i] = escapeTemplate(v)
	}
	if tgt.DockerfileInline != nil {
		escaped := escapeTemplate(*tgt.DockerfileInline)
		tgt.DockerfileInline = &escaped
	}
	tgt.Labels = escapeValues(t.Labels)
	tgt.Args = escapeValues(t.Args)
	tgt.ExtraHosts = escapeValues(t.ExtraHosts)
	return tgt
}

func needsEscape(v *string) bool {
	return v != nil && (strings.Contains(*v, "${") || strings.Contains(*v, "%{"))
}

func escapeTemplate(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "${", "$${"), "%{", "%%{")
}

func escapeValues(m map[string]*string) map[string]*string {
	escape := false
	for _, v := range m {
		if needsEscape(v) {
			escape = true
			break
		}
	}
	if !escape {
		return m // nothing to escape: no copy
	}
	out := maps.Clone(m)
	for k, v := range m {
		if v != nil {
			escaped := escapeTemplate(*v)
			out[k] = &escaped
		}
	}
	return out
}

// MarshalIndent returns exactly what json.MarshalIndent(p, "", "  ") does
// (what buildx prints), encoding the targets on GOMAXPROCS goroutines: for
// thousands of targets the encoding is a large share of `--print`.
func (p *Plan) MarshalIndent() ([]byte, error) {
	if p.Targets == nil {
		return json.MarshalIndent(p, "", "  ")
	}
	var b bytes.Buffer
	b.WriteString("{\n")
	if len(p.Groups) > 0 {
		groups, err := json.MarshalIndent(p.Groups, "  ", "  ")
		if err != nil {
			return nil, err
		}
		b.WriteString(`  "group": `)
		b.Write(groups)
		b.WriteString(",\n")
	}
	b.WriteString(`  "target": `)
	if len(p.Targets) == 0 {
		b.WriteString("{}\n}")
		return b.Bytes(), nil
	}
	names := sortedKeys(p.Targets)
	encoded, err := encodeTargets(p.Targets, names)
	if err != nil {
		return nil, err
	}
	b.WriteString("{\n")
	for i, name := range names {
		key, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		b.WriteString("    ")
		b.Write(key)
		b.WriteString(": ")
		b.Write(encoded[i])
		if i < len(names)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("  }\n}")
	return b.Bytes(), nil
}

// encodeTargets indents each target as it sits in the plan's JSON, the
// names split in contiguous runs, one per goroutine.
func encodeTargets(targets map[string]*Target, names []string) ([][]byte, error) {
	encoded := make([][]byte, len(names))
	workers := min(runtime.GOMAXPROCS(0), (len(names)+255)/256)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(names)/workers, (w+1)*len(names)/workers
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				// the escaped value, not the pointer: the same bytes without
				// json compacting MarshalJSON's output before indenting it
				var v any
				if t := targets[names[i]]; t != nil {
					v = t.escaped()
				}
				dt, err := json.MarshalIndent(v, "    ", "  ")
				if err != nil {
					errs[w] = err
					return
				}
				encoded[i] = dt
			}
		})
	}
	wg.Wait()
	return encoded, errors.Join(errs...)
}
