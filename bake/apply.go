package bake

import (
	"slices"
	"strconv"
	"strings"

	"github.com/docker/buildx/util/buildflags"
	"github.com/pkg/errors"
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

// AddOverrides applies the --set overrides of one target.
func (t *Target) AddOverrides(overrides map[string]Override) error {
	secretOverrides := map[string]Override{}
	var secretIDs, grantedSecrets []string
	for _, key := range overrideOrder(overrides) {
		o := overrides[key]
		value := o.Value
		keys := strings.SplitN(key, ".", 2)
		switch keys[0] {
		case "context":
			t.Context = &value
		case "dockerfile":
			t.Dockerfile = &value
		case "arg", "args":
			if len(keys) != 2 {
				return errors.Errorf("invalid format for arg, expecting arg.<name>=<value>")
			}
			if t.Args == nil {
				t.Args = map[string]*string{}
			}
			t.Args[keys[1]] = &value
		case "contexts":
			if len(keys) != 2 {
				return errors.Errorf("invalid format for contexts, expecting contexts.<name>=<value>")
			}
			if t.Contexts == nil {
				t.Contexts = map[string]string{}
			}
			t.Contexts[keys[1]] = value
		case "label", "labels":
			if len(keys) != 2 {
				return errors.Errorf("invalid format for label, expecting label.<name>=<value>")
			}
			if t.Labels == nil {
				t.Labels = map[string]*string{}
			}
			t.Labels[keys[1]] = &value
		case "tag", "tags":
			t.Tags = appendOrReplace(t.Tags, o)
		case "policy":
			if !o.Append {
				t.Policy = nil
			}
			for _, v := range o.ArrValue {
				cfg, err := buildflags.ParsePolicyConfig(v)
				if err != nil {
					return err
				}
				t.Policy = append(t.Policy, cfg)
			}
		case "cache-from":
			cacheFrom, err := buildflags.ParseCacheEntry(o.ArrValue)
			if err != nil {
				return err
			}
			if o.Append {
				t.CacheFrom = t.CacheFrom.Merge(cacheFrom)
			} else {
				t.CacheFrom = cacheFrom
			}
			t.grants.cacheFrom(t.CacheFrom)
		case "cache-to":
			cacheTo, err := buildflags.ParseCacheEntry(o.ArrValue)
			if err != nil {
				return err
			}
			if o.Append {
				t.CacheTo = t.CacheTo.Merge(cacheTo)
			} else {
				t.CacheTo = cacheTo
			}
			t.grants.cacheTo(t.CacheTo)
		case "target":
			t.Target = &value
		case "call":
			t.Call = &value
		case "secret", "secrets":
			if keys[0] == "secret" && len(keys) == 2 {
				secretOverrides[keys[1]] = o
				secretIDs = append(secretIDs, keys[1])
				break
			}
			if len(keys) != 1 {
				return errors.Errorf("invalid format for secret, expecting secret.<id>=<value>")
			}
			secrets, err := parseArrValue[buildflags.Secret](o.ArrValue)
			if err != nil {
				return errors.Wrap(err, "invalid value for outputs")
			}
			if o.Append {
				t.Secrets = t.Secrets.Merge(secrets)
			} else {
				t.Secrets = secrets
			}
			for _, s := range secrets {
				grantedSecrets = append(grantedSecrets, s.ID)
			}
		case "ssh":
			ssh, err := parseArrValue[buildflags.SSH](o.ArrValue)
			if err != nil {
				return errors.Wrap(err, "invalid value for outputs")
			}
			if o.Append {
				t.SSH = t.SSH.Merge(ssh)
			} else {
				t.SSH = ssh
			}
			t.grants.ssh(t.SSH)
		case "platform":
			t.Platforms = appendOrReplace(t.Platforms, o)
		case "output":
			outputs, err := parseArrValue[buildflags.ExportEntry](o.ArrValue)
			if err != nil {
				return errors.Wrap(err, "invalid value for outputs")
			}
			if o.Append {
				t.Outputs = t.Outputs.Merge(outputs)
			} else {
				t.Outputs = outputs
			}
			t.grants.outputs(t.Outputs)
		case "entitlement", "entitlements":
			if o.Clear {
				t.Entitlements = nil
			}
			t.Entitlements = append(t.Entitlements, o.ArrValue...)
			t.grants.entitlements(o.ArrValue)
		case "annotation", "annotations":
			if o.Clear {
				t.Annotations = nil
			}
			t.Annotations = append(t.Annotations, o.ArrValue...)
		case "attest":
			attest, err := parseArrValue[buildflags.Attest](o.ArrValue)
			if err != nil {
				return errors.Wrap(err, "invalid value for attest")
			}
			if o.Clear {
				t.Attest = nil
			}
			t.Attest = t.Attest.Merge(attest)
		case "no-cache":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return errors.Errorf("invalid value %s for boolean key no-cache", value)
			}
			t.NoCache = &b
		case "no-cache-filter":
			t.NoCacheFilter = appendOrReplace(t.NoCacheFilter, o)
		case "shm-size":
			t.ShmSize = &value
		case "ulimit", "ulimits":
			t.Ulimits = appendOrReplace(t.Ulimits, o)
		case "resource", "resources":
			if len(keys) != 2 {
				return errors.Errorf("invalid format for resource, expecting resource.<name>=<value>")
			}
			if t.Resources == nil {
				t.Resources = &buildflags.ResourcesConfig{}
			}
			if err := t.Resources.SetField(keys[1], value); err != nil {
				return err
			}
		case "network":
			t.NetworkMode = &value
		case "pull":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return errors.Errorf("invalid value %s for boolean key pull", value)
			}
			t.Pull = &b
		case "push":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return errors.Errorf("invalid value %s for boolean key push", value)
			}
			t.Outputs = setPushOverride(t.Outputs, b)
		case "load":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return errors.Errorf("invalid value %s for boolean key load", value)
			}
			t.Outputs = setLoadOverride(t.Outputs, b)
		case "extra-host", "extra-hosts":
			if len(keys) != 2 {
				return errors.Errorf("invalid format for extra-host, expecting extra-host.<hostname>=<ip>")
			}
			if t.ExtraHosts == nil {
				t.ExtraHosts = map[string]*string{}
			}
			t.ExtraHosts[keys[1]] = &value
		default:
			return errors.Errorf("unknown key: %s", keys[0])
		}
	}
	slices.Sort(secretIDs)
	for _, id := range secretIDs {
		if err := t.updateSecret(id, secretOverrides[id].Value); err != nil {
			return err
		}
	}
	t.grants.secrets(t.Secrets, append(grantedSecrets, secretIDs...))
	return nil
}

func appendOrReplace(cur []string, o Override) []string {
	if o.Append {
		return append(cur, o.ArrValue...)
	}
	return o.ArrValue
}

// updateSecret changes the source of a secret the target already declares.
func (t *Target) updateSecret(id, value string) error {
	if id == "" {
		return errors.Errorf("invalid format for secret, expecting secret.<id>=<value>")
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
			return errors.Errorf("secret override id %q does not match declared secret %q", next.ID, id)
		}
		s.Env = next.Env
		s.FilePath = next.FilePath
		return nil
	}
	return errors.Errorf("secret %q must be declared before it can be overridden", id)
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
