package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/cmd/buildkitd/config"
	dockerfileversion "github.com/moby/buildkit/frontend/dockerfile/version"
	"github.com/moby/buildkit/util/archutil"
	"github.com/moby/buildkit/util/disk"
	"github.com/moby/buildkit/version"
)

// ConfigFileName is the buildkitd-format configuration read from the state
// directory, so mirrors, plain-HTTP registries and GC are configured the
// way buildkitd users already know.
const ConfigFileName = "buildkitd.toml"

// loadConfig reads root/buildkitd.toml (absent is fine) and fills in the
// defaults buildkitd would use. The state directory is always root.
func loadConfig(root, file string) (config.Config, error) {
	if file == "" {
		file = filepath.Join(root, ConfigFileName)
	} else if _, err := os.Stat(file); err != nil {
		// Only the default file may be absent.
		return config.Config{}, fmt.Errorf("engine config: %w", err)
	}
	cfg, err := config.LoadFile(file)
	if err != nil {
		return cfg, fmt.Errorf("engine config %s: %w", file, err)
	}
	if err := checkConfigEntitlements(cfg.Entitlements); err != nil {
		return cfg, fmt.Errorf("engine config %s: %w", file, err)
	}
	cfg.Root = root
	if cfg.Workers.OCI.Snapshotter == "" {
		cfg.Workers.OCI.Snapshotter = "auto"
	}
	if cfg.Workers.OCI.Platforms == nil {
		// Includes the platforms qemu-user-static registered in binfmt_misc.
		for _, p := range archutil.SupportedPlatforms(false) {
			cfg.Workers.OCI.Platforms = append(cfg.Workers.OCI.Platforms, formatPlatform(p.OS, p.Architecture, p.Variant))
		}
	}
	if cfg.Workers.OCI.NetworkConfig.Mode == "" {
		// No CNI: build containers share the host network, like buildkitd
		// without a CNI config ("auto" resolves to host there too).
		cfg.Workers.OCI.NetworkConfig.Mode = "host"
	}
	return cfg, nil
}

func formatPlatform(os, arch, variant string) string {
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}

// gcPolicy is buildkitd's getGCPolicy: the configured rules, or the default
// size-capped policy computed from the disk holding root.
func gcPolicy(cfg config.GCConfig, root string) []client.PruneInfo {
	if cfg.GC != nil && !*cfg.GC {
		return nil
	}
	dstat, _ := disk.GetDiskStat(root)
	if len(cfg.GCPolicy) == 0 {
		cfg.GCPolicy = config.DefaultGCPolicy(cfg, dstat)
	}
	out := make([]client.PruneInfo, 0, len(cfg.GCPolicy))
	for _, rule := range cfg.GCPolicy {
		//nolint:staticcheck // KeepBytes is the deprecated name of ReservedSpace.
		if rule.ReservedSpace == (config.DiskSpace{}) && rule.KeepBytes != (config.DiskSpace{}) {
			rule.ReservedSpace = rule.KeepBytes
		}
		out = append(out, client.PruneInfo{
			Filter:        rule.Filters,
			All:           rule.All,
			KeepDuration:  rule.KeepDuration.Duration,
			ReservedSpace: rule.ReservedSpace.AsBytes(dstat),
			MaxUsedSpace:  rule.MaxUsedSpace.AsBytes(dstat),
			MinFreeSpace:  rule.MinFreeSpace.AsBytes(dstat),
		})
	}
	return out
}

// buildkitVersion reports the linked BuildKit module's version, since the
// version package is only filled by buildkitd's own link flags.
func buildkitVersion() client.BuildkitVersion {
	v := client.BuildkitVersion{Package: version.Package, Version: version.Version, Revision: version.Revision}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/moby/buildkit" {
				v.Version = d.Version
			}
		}
	}
	v.DockerfileVersion = dockerfileversion.Version()
	return v
}
