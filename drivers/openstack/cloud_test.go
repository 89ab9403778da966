package openstack

import (
	"context"
	"os"
	"testing"
	"time"
)

// CloudConfigFromEnv is the driver's config for the cloud the environment
// names, as the OpenStack client tools read it: OS_CLOUD (with
// OS_CLIENT_CONFIG_FILE) or OS_AUTH_URL and its companions. ok is false when
// neither is set.
func cloudConfigFromEnv() (Config, bool) {
	c := Config{PollInterval: Duration(time.Second)}
	switch {
	case os.Getenv("OS_CLOUD") != "":
		c.Cloud, c.CloudsFile = os.Getenv("OS_CLOUD"), os.Getenv("OS_CLIENT_CONFIG_FILE")
	case os.Getenv("OS_AUTH_URL") != "":
		c.AuthURL, c.Username, c.Password = os.Getenv("OS_AUTH_URL"), os.Getenv("OS_USERNAME"), os.Getenv("OS_PASSWORD")
		c.ProjectName, c.UserDomainName, c.ProjectDomainName = os.Getenv("OS_PROJECT_NAME"), os.Getenv("OS_USER_DOMAIN_NAME"), os.Getenv("OS_PROJECT_DOMAIN_NAME")
		c.Region = os.Getenv("OS_REGION_NAME")
	default:
		return c, false
	}
	// The cloud's notification bus (its transport_url), when it has one.
	c.NotificationsURL = os.Getenv("OS_NOTIFICATIONS_URL")
	return c, true
}

// testDriver connects to the real cloud the environment names. Without one
// it skips, except under CI, where it fails: CI never passes by skipping
// OpenStack (.ci/run brings one up with scripts/openstack-up.sh).
func testDriver(t *testing.T) *Driver {
	t.Helper()
	cfg, ok := cloudConfigFromEnv()
	if !ok {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but no OpenStack is: set OS_CLOUD (and OS_CLIENT_CONFIG_FILE) or OS_AUTH_URL; scripts/openstack-up.sh starts one")
		}
		t.Skip("no OpenStack: set OS_CLOUD or OS_AUTH_URL (scripts/openstack-up.sh starts one)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := New(ctx, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// testContext is a context bounded for one test's calls to the real cloud.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
