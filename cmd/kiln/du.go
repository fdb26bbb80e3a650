package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/kiln-build/kiln/builder/node"
	"github.com/moby/buildkit/client"
)

// newDuCommand is `kiln du`.
func newDuCommand() *command {
	c := &command{name: "du", usage: "du [OPTIONS]", short: "Show the build cache's disk usage"}
	c.run = func(ctx context.Context, args []string) error {
		fs := newFlags(c)
		filters := fs.StringArray("filter", nil, `Provide filter values (e.g., "type=regular", "until=24h")`)
		verbose := fs.Bool("verbose", false, "Provide a more verbose output")
		spec := cacheBuilderFlag(fs)
		if err := fs.Parse(args); err != nil {
			return err
		}
		pi, err := pruneInfo(*filters)
		if err != nil {
			return err
		}
		n, err := node.Open(ctx, *spec, node.OpenOptions{})
		if err != nil {
			return err
		}
		defer n.Close()
		dus, err := n.Client().DiskUsage(ctx, client.WithFilter(pi.Filter))
		if err != nil {
			return fmt.Errorf("disk usage on %s: %w", n.Name(), err)
		}
		if *verbose {
			printUsageVerbose(os.Stdout, dus)
		} else {
			printUsageTable(os.Stdout, dus)
		}
		if len(*filters) == 0 {
			printUsageSummary(os.Stdout, dus)
		}
		return nil
	}
	return c
}

// printUsageTable is buildx du's default table.
func printUsageTable(w io.Writer, dus []*client.UsageInfo) {
	tw := tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)
	fmt.Fprintln(tw, "ID\tRECLAIMABLE\tSIZE\tLAST ACCESSED")
	for _, du := range dus {
		id, size := du.ID, units.HumanSize(float64(du.Size))
		if du.Mutable {
			id += "*"
		}
		if du.Shared {
			size += "*"
		}
		fmt.Fprintf(tw, "%s\t%v\t%s\t%s\n", id, !du.InUse, size, lastUsed(du))
	}
	tw.Flush()
}

// printUsageVerbose is buildx du --verbose: one block per record.
func printUsageVerbose(w io.Writer, dus []*client.UsageInfo) {
	for _, du := range dus {
		fmt.Fprintf(w, "ID:           %s\n", du.ID)
		if len(du.Parents) > 0 {
			fmt.Fprintf(w, "Parents:\n - %s\n", strings.Join(du.Parents, "\n - "))
		}
		fmt.Fprintf(w, "Created at:   %s\n", du.CreatedAt)
		fmt.Fprintf(w, "Mutable:      %v\n", du.Mutable)
		fmt.Fprintf(w, "Reclaimable:  %v\n", !du.InUse)
		fmt.Fprintf(w, "Shared:       %v\n", du.Shared)
		fmt.Fprintf(w, "Size:         %s\n", units.HumanSize(float64(du.Size)))
		if du.Description != "" {
			fmt.Fprintf(w, "Description:  %s\n", du.Description)
		}
		fmt.Fprintf(w, "Usage count:  %d\n", du.UsageCount)
		if du.LastUsedAt != nil {
			fmt.Fprintf(w, "Last used:    %s\n", lastUsed(du))
		}
		if du.RecordType != "" {
			fmt.Fprintf(w, "Type:         %s\n", du.RecordType)
		}
		fmt.Fprintln(w)
	}
}

func printUsageSummary(w io.Writer, dus []*client.UsageInfo) {
	var total, reclaimable, shared int64
	for _, du := range dus {
		if du.Size > 0 {
			total += du.Size
			if !du.InUse {
				reclaimable += du.Size
			}
		}
		if du.Shared {
			shared += du.Size
		}
	}
	tw := tabwriter.NewWriter(w, 1, 8, 1, '\t', 0)
	if shared > 0 {
		fmt.Fprintf(tw, "Shared:\t%s\n", units.HumanSize(float64(shared)))
		fmt.Fprintf(tw, "Private:\t%s\n", units.HumanSize(float64(total-shared)))
	}
	fmt.Fprintf(tw, "Reclaimable:\t%s\n", units.HumanSize(float64(reclaimable)))
	fmt.Fprintf(tw, "Total:\t%s\n", units.HumanSize(float64(total)))
	tw.Flush()
}

func lastUsed(du *client.UsageInfo) string {
	if du.LastUsedAt == nil {
		return ""
	}
	return units.HumanDuration(time.Since(*du.LastUsedAt)) + " ago"
}
