package bake

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// PromptOptions is what the entitlement report needs from the command line.
type PromptOptions struct {
	Out         io.Writer // where the report goes (stderr)
	Stdin       io.Reader // the answer to the question, read only when Terminal
	Terminal    bool      // stdin is a terminal: ask instead of failing
	Interactive bool      // false under --progress=rawjson: no report, one-line error
	Args        []string  // os.Args, for the "full command" line
	LookupEnv   func(string) (string, bool)
	// Remote: the definition is remote, where BAKE_ALLOW_REMOTE_FS_ACCESS=1
	// lets filesystem requests through (BUILDX_BAKE_ENTITLEMENTS_FS wins).
	Remote bool
}

// Prompt reports the privileges in need (what MissingEntitlements
// returned) as buildx's EntitlementConf.Prompt does: the list, the --allow
// flags to add and the full command with them, then on a terminal the
// question [y/N], elsewhere the error "additional privileges requested".
// BUILDX_BAKE_ENTITLEMENTS_FS=0 keeps the report but lets filesystem and
// ssh requests through.
func (need Entitlements) Prompt(ctx context.Context, o PromptOptions) error {
	var msgs, flags, msgsFS, flagsFS []string
	if need.NetworkHost {
		msgs = append(msgs, " - Running build containers that can access host network")
		flags = append(flags, "network.host")
	}
	if need.SecurityInsecure {
		msgs = append(msgs, " - Running privileged containers that can make system changes")
		flags = append(flags, "security.insecure")
	}
	if need.AllDevices {
		msgs = append(msgs, " - Access to CDI devices")
		flags = append(flags, "device")
	} else {
		for _, d := range need.Devices {
			msgs = append(msgs, fmt.Sprintf(" - Access to device %s", d))
			flags = append(flags, "device="+d)
		}
	}
	if need.SSH {
		msgsFS = append(msgsFS, " - Forwarding default SSH agent socket")
		flagsFS = append(flagsFS, "ssh")
	}
	if need.LocalOutputDelete {
		msgs = append(msgs, " - Deleting stale files from local output destinations")
		flags = append(flags, "buildx.local.delete")
	}

	ro, rw, both := groupSamePaths(need.FSRead, need.FSWrite)
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("failed to get current working directory: %w", err)
	}
	if wd, err = filepath.EvalSymlinks(wd); err != nil {
		return fmt.Errorf("failed to evaluate working directory: %w", err)
	}
	for _, p := range toRelativePaths(both, wd) {
		msgsFS = append(msgsFS, fmt.Sprintf(" - Read and write access to path %s", p))
		flagsFS = append(flagsFS, "fs="+p)
	}
	for _, p := range toRelativePaths(ro, wd) {
		msgsFS = append(msgsFS, fmt.Sprintf(" - Read access to path %s", p))
		flagsFS = append(flagsFS, "fs.read="+p)
	}
	for _, p := range toRelativePaths(rw, wd) {
		msgsFS = append(msgsFS, fmt.Sprintf(" - Write access to path %s", p))
		flagsFS = append(flagsFS, "fs.write="+p)
	}
	if len(msgs) == 0 && len(msgsFS) == 0 {
		return nil
	}

	out := o.Out
	if !o.Interactive {
		out = io.Discard
	}
	term := o.Interactive && o.Terminal
	fmt.Fprintf(out, "Your build is requesting privileges for following possibly insecure capabilities:\n\n")
	for _, m := range slices.Concat(msgs, msgsFS) {
		fmt.Fprintf(out, "%s\n", m)
	}
	for i, f := range flags {
		flags[i] = "--allow=" + f
	}
	for i, f := range flagsFS {
		flagsFS[i] = "--allow=" + f
	}
	all := strings.Join(slices.Concat(flags, flagsFS), " ")
	if term {
		fmt.Fprintf(out, "\nIn order to not see this message in the future pass %q to grant requested privileges.\n", all)
	} else {
		fmt.Fprintf(out, "\nPass %q to grant requested privileges.\n", all)
	}
	if idx := slices.Index(o.Args, "bake"); idx != -1 {
		fmt.Fprintf(out, "\nYour full command with requested privileges:\n\n")
		fmt.Fprintf(out, "%s %s %s\n\n", strings.Join(o.Args[:idx+1], " "), all, strings.Join(o.Args[idx+1:], " "))
	}

	fsEnabled := true
	if o.Remote {
		if v, ok := o.LookupEnv("BAKE_ALLOW_REMOTE_FS_ACCESS"); ok {
			vv, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("failed to parse BAKE_ALLOW_REMOTE_FS_ACCESS value %q: %w", v, err)
			}
			fsEnabled = !vv
		}
	}
	v, fsSet := o.LookupEnv("BUILDX_BAKE_ENTITLEMENTS_FS")
	if fsSet {
		vv, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("failed to parse BUILDX_BAKE_ENTITLEMENTS_FS value %q: %w", v, err)
		}
		fsEnabled = vv
	}
	if !fsEnabled && len(msgs) == 0 {
		return nil
	}
	if fsEnabled && !fsSet && len(msgsFS) != 0 {
		fmt.Fprintf(out, "To disable filesystem entitlements checks, you can set BUILDX_BAKE_ENTITLEMENTS_FS=0 .\n\n")
	}
	if !o.Interactive {
		required := flags
		if fsEnabled {
			required = slices.Concat(required, flagsFS)
		}
		return fmt.Errorf("additional privileges requested: pass %q to grant requested privileges", strings.Join(required, " "))
	}
	if term {
		fmt.Fprintf(out, "Do you want to grant requested privileges and continue? [y/N] ")
		answer := make(chan string, 1)
		go func() {
			line, _, _ := bufio.NewReader(o.Stdin).ReadLine()
			answer <- string(line)
		}()
		select {
		case <-ctx.Done():
		case a := <-answer:
			if strings.ToLower(a) == "y" {
				return nil
			}
		}
	}
	return fmt.Errorf("additional privileges requested")
}
