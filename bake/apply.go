package bake

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/buildx/util/buildflags"
)

// overrideOrder lists override keys in the order they were first given.
// buildx walks a map, so its order varies from run to run where it matters
// (e.g. "push" or "load" against "output"); kiln applies them as written,
// flags (--push, --load, …) after --set values.
func overrideOrder(overrides map[string]Override) []string {
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := overrides[a].Seq - overrides[b].Seq; d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	return keys
}

// AddOverrides applies the --set overrides of one target (overrideKeys says
// what each key does). secret.ID values apply last, in ID order.
func (t *Target) AddOverrides(overrides map[string]Override) error {
	secretOverrides := map[string]Override{}
	var secretIDs, grantedSecrets []string
	for _, key := range overrideOrder(overrides) {
		o := overrides[key]
		k, name, hasName := strings.Cut(key, ".")
		if alias, ok := keyAliases[k]; ok {
			k = alias
		}
		spec, ok := overrideKeys[k]
		if !ok {
			return &overrideError{key, fmt.Errorf("unknown key: %s", k)}
		}
		switch spec.shape {
		case secretKey:
			if hasName {
				secretOverrides[name] = o
				secretIDs = append(secretIDs, name)
				continue
			}
		case namedKey, argKey, resourceKey:
			if !hasName {
				return &overrideError{key, fmt.Errorf("invalid format for %s, expecting %s.<name>=<value>", k, k)}
			}
		}
		if err := spec.apply(t, name, o); err != nil {
			return &overrideError{key, err}
		}
		grantedSecrets = t.recordGrants(k, o, grantedSecrets)
	}
	slices.Sort(secretIDs)
	for _, id := range secretIDs {
		if err := t.updateSecret(id, secretOverrides[id].Value); err != nil {
			return &overrideError{"secret." + id, err}
		}
	}
	t.grants.secrets(t.Secrets, append(grantedSecrets, secretIDs...))
	return nil
}

// recordGrants notes the paths a --set value names, which the filesystem
// entitlement check grants as buildx does (the user typed them); it returns
// secrets with the ids of secrets a secret=spec value declares.
func (t *Target) recordGrants(key string, o Override, secrets []string) []string {
	switch key {
	case "cache-from":
		t.grants.cacheFrom(t.CacheFrom)
	case "cache-to":
		t.grants.cacheTo(t.CacheTo)
	case "ssh":
		t.grants.ssh(t.SSH)
	case "output":
		t.grants.outputs(t.Outputs)
	case "entitlement":
		t.grants.entitlements(o.ArrValue)
	case "secret":
		parsed, _ := parseArrValue[buildflags.Secret](o.ArrValue) // applied already: it parses
		for _, s := range parsed {
			secrets = append(secrets, s.ID)
		}
	}
	return secrets
}

// updateSecret changes the source of a secret the target already declares.
func (t *Target) updateSecret(id, value string) error {
	if id == "" {
		return fmt.Errorf("invalid format for secret, expecting secret.<id>=<value>")
	}
	for _, s := range t.Secrets {
		if s.ID != id {
			continue
		}
		var next buildflags.Secret
		if err := next.UnmarshalText([]byte(value)); err != nil {
			return err
		}
		if next.ID != "" && next.ID != id {
			return fmt.Errorf("secret override id %q does not match declared secret %q", next.ID, id)
		}
		s.Env = next.Env
		s.FilePath = next.FilePath
		return nil
	}
	return fmt.Errorf("secret %q must be declared before it can be overridden", id)
}

type textUnmarshaler[T any] interface {
	UnmarshalText([]byte) error
	*T
}

func parseArrValue[T any, PT textUnmarshaler[T]](s []string) ([]*T, error) {
	out := make([]*T, 0, len(s))
	for _, text := range s {
		if text == "" {
			continue
		}
		v := new(T)
		if err := PT(v).UnmarshalText([]byte(text)); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func parseBool(s string) (bool, error) { return strconv.ParseBool(s) }
