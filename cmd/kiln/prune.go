package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/kiln-build/kiln/builder/node"
	"github.com/moby/buildkit/client"
	"github.com/spf13/pflag"
)

// newPruneCommand is `kiln prune`.
func newPruneCommand() *command {
	c := &command{name: "prune", usage: "prune [OPTIONS]", short: "Remove build cache"}
	c.run = func(ctx context.Context, args []string) error {
		fs := newFlags(c)
		all := fs.BoolP("all", "a", false, "Include internal/frontend images")
		filters := fs.StringArray("filter", nil, `Provide filter values (e.g., "until=24h", "type=regular")`)
		reserved := sizeFlag(fs, "reserved-space", "Amount of disk space always allowed to keep for cache")
		minFree := sizeFlag(fs, "min-free-space", "Target amount of free disk space after pruning")
		maxUsed := sizeFlag(fs, "max-used-space", "Maximum amount of disk space allowed to keep for cache")
		fs.Var(reserved, "keep-storage", "Amount of disk space to keep for cache")
		_ = fs.MarkDeprecated("keep-storage", "keep-storage flag has been changed to reserved-space")
		verbose := fs.Bool("verbose", false, "Provide a more verbose output")
		force := fs.BoolP("force", "f", false, "Do not prompt for confirmation")
		spec := cacheBuilderFlag(fs)
		if err := fs.Parse(args); err != nil {
			return err
		}
		pi, err := pruneInfo(*filters)
		if err != nil {
			return err
		}
		if !*force {
			warning := "WARNING! This will remove all dangling build cache. Are you sure you want to continue?"
			if *all {
				warning = "WARNING! This will remove all build cache. Are you sure you want to continue?"
			}
			if !confirm(warning) {
				return nil
			}
		}
		n, err := node.Open(ctx, *spec, node.OpenOptions{})
		if err != nil {
			return err
		}
		defer n.Close()

		opts := []client.PruneOption{
			client.WithKeepOpt(pi.KeepDuration, int64(*reserved), int64(*maxUsed), int64(*minFree)),
			client.WithFilter(pi.Filter),
		}
		if *all {
			opts = append(opts, client.PruneAll)
		}
		ch := make(chan client.UsageInfo)
		printed := make(chan int64)
		go func() {
			var total int64
			var got []*client.UsageInfo
			for du := range ch {
				total += du.Size
				got = append(got, &du)
			}
			if *verbose {
				printUsageVerbose(os.Stdout, got)
			} else if len(got) > 0 {
				printUsageTable(os.Stdout, got)
			}
			printed <- total
		}()
		err = n.Client().Prune(ctx, ch, opts...)
		close(ch)
		total := <-printed
		if err != nil {
			return fmt.Errorf("prune on %s: %w", n.Name(), err)
		}
		tw := tabwriter.NewWriter(os.Stdout, 1, 8, 1, '\t', 0)
		fmt.Fprintf(tw, "Total:\t%s\n", units.HumanSize(float64(total)))
		return tw.Flush()
	}
	return c
}

func confirm(question string) bool {
	fmt.Fprintf(os.Stdout, "%s [y/N] ", question)
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

// pruneInfo turns --filter values ("key=value", "key!=value", "until=24h")
// into BuildKit's filter and keep duration, as buildx does.
func pruneInfo(filters []string) (client.PruneInfo, error) {
	var pi client.PruneInfo
	byKey := map[string][]string{}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return pi, fmt.Errorf("--filter %q: want key=value", f)
		}
		k = strings.TrimSpace(k)
		byKey[k] = append(byKey[k], v)
	}
	if len(byKey["until"]) > 0 && len(byKey["unused-for"]) > 0 {
		return pi, fmt.Errorf(`conflicting filters "until" and "unused-for"`)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		vs := byKey[k]
		if len(vs) > 1 {
			return pi, fmt.Errorf("%q filter expects only one value", k)
		}
		switch {
		case k == "until" || k == "unused-for":
			d, err := time.ParseDuration(vs[0])
			if err != nil {
				return pi, fmt.Errorf("%q filter expects a duration (e.g., '24h'): %w", k, err)
			}
			pi.KeepDuration = d
		case k == "id":
			out = append(out, k+"~="+vs[0])
		case strings.HasSuffix(k, "!") || strings.HasSuffix(k, "~"):
			out = append(out, k+"="+vs[0])
		default:
			out = append(out, k+"=="+vs[0])
		}
	}
	pi.Filter = []string{strings.Join(out, ",")}
	return pi, nil
}

// sizeValue is a byte count given as "10GB", "512MB" or a number of bytes.
type sizeValue int64

func sizeFlag(fs *pflag.FlagSet, name, usage string) *sizeValue {
	v := new(sizeValue)
	fs.Var(v, name, usage)
	return v
}

func (s *sizeValue) String() string {
	if *s == 0 {
		return ""
	}
	return units.BytesSize(float64(*s))
}

func (s *sizeValue) Set(v string) error {
	n, err := units.RAMInBytes(v)
	if err != nil {
		return fmt.Errorf("size %q: %w", v, err)
	}
	*s = sizeValue(n)
	return nil
}

func (s *sizeValue) Type() string { return "bytes" }

// cacheBuilderFlag declares --builder for the cache commands (du, prune).
func cacheBuilderFlag(fs *pflag.FlagSet) *string {
	return fs.String("builder", envOr("BUILDX_BUILDER", node.DefaultSpec), `Where the cache is: "embedded", a BuildKit address, or "docker"`)
}
