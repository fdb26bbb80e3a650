package solve

import (
	"encoding/json"
	"fmt"
	"os"

	spb "github.com/moby/buildkit/sourcepolicy/pb"
	"google.golang.org/protobuf/proto"
)

// ReadSourcePolicy reads the BuildKit source policy named by
// EXPERIMENTAL_BUILDKIT_SOURCE_POLICY (JSON, or protobuf), as buildx's
// build.ReadSourcePolicy does; nil when the variable is unset.
func ReadSourcePolicy(lookupEnv func(string) (string, bool)) (*spb.Policy, error) {
	p, _ := lookupEnv("EXPERIMENTAL_BUILDKIT_SOURCE_POLICY")
	if p == "" {
		return nil, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("failed to read policy file: %w", err)
	}
	var pol spb.Policy
	if err := json.Unmarshal(data, &pol); err != nil {
		if perr := proto.Unmarshal(data, &pol); perr != nil {
			return nil, fmt.Errorf("failed to parse source policy: %w", err)
		}
	}
	return &pol, nil
}
