package bake

import (
	"fmt"
	"strings"
)

// Override is one parsed `--set` value for one target and key.
type Override struct {
	Value    string
	ArrValue []string
	Append   bool
	Clear    bool
	// Seq is the position of the first --set value for this key; overrides
	// apply in that order.
	Seq int
}

// Overrides maps target name → key (e.g. "arg.FOO", "tag") → override.
type Overrides map[string]map[string]Override

// ParseOverrides turns `--set` values (`pattern.key[.sub][+]=value`) into
// Overrides for the targets of c that pattern matches. Errors read as buildx's.
func (c Config) ParseOverrides(values []string, lookupEnv func(string) (string, bool)) (Overrides, error) {
	m := Overrides{}
	for seq, v := range values {
		parts := strings.SplitN(v, "=", 2)
		skey := strings.TrimSuffix(parts[0], "+")
		appendTo := strings.HasSuffix(parts[0], "+")
		keys := strings.SplitN(skey, ".", 3)
		if len(keys) < 2 {
			return nil, fmt.Errorf("invalid override key %s, expected target.name", skey)
		}
		if keys[1] == "secrets" && len(keys) != 2 {
			return nil, c.setErrorAt(keys[0], "secret", fmt.Errorf("invalid key %s, secret does not support subkeys", parts[0]))
		}
		if alias, ok := keyAliases[keys[1]]; ok {
			keys[1] = alias
		}
		if len(parts) != 2 && keys[1] != "arg" {
			return nil, c.setErrorAt(keys[0], keys[1], fmt.Errorf("invalid override %s, expected target.name=value", v))
		}
		names, err := c.expandTargets(keys[0])
		if err != nil {
			return nil, err
		}
		okey := strings.Join(keys[1:], ".")
		for _, name := range names {
			t, ok := m[name]
			if !ok {
				t = map[string]Override{}
				m[name] = t
			}
			prev, seen := t[okey]
			if !seen {
				prev.Seq = seq
			}
			o, keep, err := parseOverride(prev, keys, parts, appendTo, lookupEnv)
			if err != nil {
				return nil, c.setErrorAt(name, keys[1], err)
			}
			if keep {
				t[okey] = o
			}
		}
	}
	return m, nil
}

// parseOverride folds one --set value into the override already collected
// for the same target and key. keep is false when nothing is to be recorded
// (an `arg.NAME` without value whose variable is not in the environment).
func parseOverride(o Override, keys, parts []string, appendTo bool, lookupEnv func(string) (string, bool)) (_ Override, keep bool, _ error) {
	setList := func() {
		if len(parts) != 2 {
			return
		}
		if !appendTo && parts[1] == "" {
			o.Clear = true
			o.ArrValue = nil
		} else {
			o.ArrValue = append(o.ArrValue, parts[1])
		}
		o.Append = appendTo && !o.Clear
	}
	spec, known := overrideKeys[keys[1]]
	switch {
	case !known:
		if len(parts) == 2 {
			o.Value = parts[1]
		}
	case spec.shape == listKey:
		if len(keys) != 2 {
			return o, false, fmt.Errorf("invalid key %s, %s does not support subkeys", parts[0], keys[1])
		}
		setList()
	case spec.shape == secretKey:
		if len(keys) == 2 {
			setList()
			break
		}
		if appendTo {
			return o, false, fmt.Errorf("invalid key %s, secret does not support append", parts[0])
		}
		o.Value = parts[1]
	case spec.shape == resourceKey:
		if len(keys) != 3 {
			return o, false, fmt.Errorf("invalid key %s, %s requires name", parts[0], keys[1])
		}
		if appendTo {
			return o, false, fmt.Errorf("invalid key %s, %s does not support append", parts[0], keys[1])
		}
		o.Value = parts[1]
	case spec.shape == argKey:
		if len(keys) != 3 {
			return o, false, fmt.Errorf("invalid key %s, arg requires name", parts[0])
		}
		if len(parts) < 2 && lookupEnv != nil {
			v, ok := lookupEnv(keys[2])
			if !ok {
				return o, false, nil
			}
			o.Value = v
		}
		if len(parts) == 2 {
			o.Value = parts[1]
		}
	case spec.shape == namedKey:
		if len(keys) != 3 {
			return o, false, fmt.Errorf("invalid key %s, %s requires name", parts[0], keys[1])
		}
		o.Value = parts[1]
	case spec.shape == scalarKey:
		if len(keys) != 2 {
			return o, false, fmt.Errorf("invalid key %s, %s does not support subkeys", parts[0], keys[1])
		}
		o.Value = parts[1]
	}
	return o, true, nil
}
