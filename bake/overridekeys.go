package bake

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/buildx/util/buildflags"
)

// overrideKeys is every key `--set` accepts, in one place: how its value is
// written (shape) and how it changes a target (apply). Plural spellings are
// aliases, sharing the singular key's replacement and append semantics.
var overrideKeys = map[string]overrideKey{
	"annotation": {shape: listKey, alias: "annotations", apply: func(t *Target, _ string, o Override) error {
		t.Annotations = clearOrAppend(t.Annotations, o)
		return nil
	}},
	"arg":        {shape: argKey, alias: "args", apply: setNamed(func(t *Target) *map[string]*string { return &t.Args })},
	"attest":     {shape: listKey, apply: applyAttest},
	"cache-from": {shape: listKey, apply: applyCacheFrom},
	"cache-to":   {shape: listKey, apply: applyCacheTo},
	"call":       {shape: scalarKey, apply: func(t *Target, _ string, o Override) error { t.Call = &o.Value; return nil }},
	"context":    {shape: scalarKey, apply: func(t *Target, _ string, o Override) error { t.Context = &o.Value; return nil }},
	"contexts":   {shape: namedKey, apply: applyContexts},
	"dockerfile": {shape: scalarKey, apply: func(t *Target, _ string, o Override) error { t.Dockerfile = &o.Value; return nil }},
	"entitlement": {shape: listKey, alias: "entitlements", apply: func(t *Target, _ string, o Override) error {
		t.Entitlements = clearOrAppend(t.Entitlements, o)
		return nil
	}},
	"extra-host": {shape: namedKey, alias: "extra-hosts", apply: setNamed(func(t *Target) *map[string]*string { return &t.ExtraHosts })},
	"label":      {shape: namedKey, alias: "labels", apply: setNamed(func(t *Target) *map[string]*string { return &t.Labels })},
	"load":       {shape: scalarKey, apply: applyBool("load", func(t *Target, b bool) { t.Outputs = setLoadOverride(t.Outputs, b) })},
	"network":    {shape: scalarKey, apply: func(t *Target, _ string, o Override) error { t.NetworkMode = &o.Value; return nil }},
	"no-cache":   {shape: scalarKey, apply: applyBool("no-cache", func(t *Target, b bool) { t.NoCache = &b })},
	"no-cache-filter": {shape: listKey, apply: func(t *Target, _ string, o Override) error {
		t.NoCacheFilter = appendOrReplace(t.NoCacheFilter, o)
		return nil
	}},
	"output":   {shape: listKey, apply: applyOutput},
	"platform": {shape: listKey, alias: "platforms", apply: func(t *Target, _ string, o Override) error { t.Platforms = appendOrReplace(t.Platforms, o); return nil }},
	"policy":   {shape: listKey, apply: applyPolicy},
	"pull":     {shape: scalarKey, apply: applyBool("pull", func(t *Target, b bool) { t.Pull = &b })},
	"push":     {shape: scalarKey, apply: applyBool("push", func(t *Target, b bool) { t.Outputs = setPushOverride(t.Outputs, b) })},
	"resource": {shape: resourceKey, alias: "resources", apply: applyResource},
	"secret":   {shape: secretKey, alias: "secrets", apply: applySecrets},
	"shm-size": {shape: scalarKey, apply: func(t *Target, _ string, o Override) error { t.ShmSize = &o.Value; return nil }},
	"ssh":      {shape: listKey, apply: applySSH},
	"tag":      {shape: listKey, alias: "tags", apply: func(t *Target, _ string, o Override) error { t.Tags = appendOrReplace(t.Tags, o); return nil }},
	"target":   {shape: scalarKey, apply: func(t *Target, _ string, o Override) error { t.Target = &o.Value; return nil }},
	"ulimit":   {shape: listKey, alias: "ulimits", apply: func(t *Target, _ string, o Override) error { t.Ulimits = appendOrReplace(t.Ulimits, o); return nil }},
}

// keyShape is how a key's values are written on the command line.
type keyShape int

const (
	listKey     keyShape = iota // key=v, repeatable, += appends, an empty value clears
	scalarKey                   // key=v, no subkey
	namedKey                    // key.NAME=v
	argKey                      // arg.NAME=v, or arg.NAME alone: the value from the environment
	resourceKey                 // resource.NAME=v, no append
	secretKey                   // secret=spec (a list), or secret.ID=src (changes a declared secret)
)

type overrideKey struct {
	shape keyShape
	alias string // the plural spelling, if any
	// apply sets the key on t; name is the subkey (arg.NAME's NAME), "" if none.
	apply func(t *Target, name string, o Override) error
}

// keyAttr is the target attribute, as bake files spell it, that override
// key (e.g. "ulimit", "arg.FOO", "push") sets.
func keyAttr(key string) string {
	k, _, _ := strings.Cut(key, ".")
	if alias, ok := keyAliases[k]; ok {
		k = alias
	}
	switch k {
	case "push", "load":
		return "output"
	case "secret": // plural on the command line only
		return k
	}
	if a := overrideKeys[k].alias; a != "" {
		return a
	}
	return k
}

// keyAliases maps plural spellings to their key.
var keyAliases = func() map[string]string {
	m := map[string]string{}
	for k, ok := range overrideKeys {
		if ok.alias != "" {
			m[ok.alias] = k
		}
	}
	return m
}()

// appendOrReplace and clearOrAppend never append into cur's spare room: cur
// may share its array with another target's list.
func appendOrReplace(cur []string, o Override) []string {
	if o.Append {
		return append(slices.Clip(cur), o.ArrValue...)
	}
	return o.ArrValue
}

func clearOrAppend(cur []string, o Override) []string {
	if o.Clear {
		cur = nil
	}
	return append(slices.Clip(cur), o.ArrValue...)
}

// setNamed sets NAME in the string map field returns, as key.NAME=value.
func setNamed(field func(*Target) *map[string]*string) func(*Target, string, Override) error {
	return func(t *Target, name string, o Override) error {
		m := field(t)
		if *m == nil {
			*m = map[string]*string{}
		}
		v := o.Value
		(*m)[name] = &v
		return nil
	}
}

func applyBool(key string, set func(*Target, bool)) func(*Target, string, Override) error {
	return func(t *Target, _ string, o Override) error {
		b, err := strconv.ParseBool(o.Value)
		if err != nil {
			return fmt.Errorf("invalid value %s for boolean key %s", o.Value, key)
		}
		set(t, b)
		return nil
	}
}

func applyContexts(t *Target, name string, o Override) error {
	if t.Contexts == nil {
		t.Contexts = map[string]string{}
	}
	t.Contexts[name] = o.Value
	return nil
}

func applyPolicy(t *Target, _ string, o Override) error {
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
	return nil
}

func applyCacheFrom(t *Target, _ string, o Override) error {
	c, err := buildflags.ParseCacheEntry(o.ArrValue)
	if err != nil {
		return err
	}
	if o.Append {
		c = t.CacheFrom.Merge(c)
	}
	t.CacheFrom = c
	return nil
}

func applyCacheTo(t *Target, _ string, o Override) error {
	c, err := buildflags.ParseCacheEntry(o.ArrValue)
	if err != nil {
		return err
	}
	if o.Append {
		c = t.CacheTo.Merge(c)
	}
	t.CacheTo = c
	return nil
}

// applySecrets is secret=spec; secret.ID=src is applied after every other
// key (AddOverrides), to a secret the target declares.
func applySecrets(t *Target, _ string, o Override) error {
	secrets, err := parseArrValue[buildflags.Secret](o.ArrValue)
	if err != nil {
		return fmt.Errorf("invalid value for secret: %w", err)
	}
	if o.Append {
		secrets = t.Secrets.Merge(secrets)
	}
	t.Secrets = secrets
	return nil
}

func applySSH(t *Target, _ string, o Override) error {
	ssh, err := parseArrValue[buildflags.SSH](o.ArrValue)
	if err != nil {
		return fmt.Errorf("invalid value for ssh: %w", err)
	}
	if o.Append {
		ssh = t.SSH.Merge(ssh)
	}
	t.SSH = ssh
	return nil
}

func applyOutput(t *Target, _ string, o Override) error {
	outputs, err := parseArrValue[buildflags.ExportEntry](o.ArrValue)
	if err != nil {
		return fmt.Errorf("invalid value for outputs: %w", err)
	}
	if o.Append {
		outputs = t.Outputs.Merge(outputs)
	}
	t.Outputs = outputs
	return nil
}

func applyAttest(t *Target, _ string, o Override) error {
	attest, err := parseArrValue[buildflags.Attest](o.ArrValue)
	if err != nil {
		return fmt.Errorf("invalid value for attest: %w", err)
	}
	if o.Clear {
		t.Attest = nil
	}
	t.Attest = t.Attest.Merge(attest)
	return nil
}

func applyResource(t *Target, name string, o Override) error {
	if t.Resources == nil {
		t.Resources = &buildflags.ResourcesConfig{}
	}
	return t.Resources.SetField(name, o.Value)
}
