package request

import (
	"context"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// addAWSCredentials fills an s3 cache entry's access_key_id,
// secret_access_key and session_token from the client's AWS environment,
// shared config and credentials files, as buildx's addAwsCredentials does
// (the SDK's default chain, the same library buildx uses); an entry that
// sets both keys itself is left alone, and a chain that finds nothing
// leaves the entry for the daemon's own credentials.
func addAWSCredentials(a map[string]string) {
	_, okID := a["access_key_id"]
	_, okSecret := a["secret_access_key"]
	if okID && okSecret {
		return
	}
	ctx := context.TODO()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return
	}
	if !okID && creds.AccessKeyID != "" {
		a["access_key_id"] = creds.AccessKeyID
	}
	if !okSecret && creds.SecretAccessKey != "" {
		a["secret_access_key"] = creds.SecretAccessKey
	}
	if _, ok := a["session_token"]; !ok && creds.SessionToken != "" {
		a["session_token"] = creds.SessionToken
	}
}
