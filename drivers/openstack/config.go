package openstack

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"

	"github.com/gisiaas/gisiaas/core"
)

// Config is a datacenter's settings for the OpenStack driver, given by the
// operator as JSON (the `settings` of a datacenter in gisiaas' config).
//
// The credential comes either from a clouds.yaml (Cloud, CloudsFile) or is
// spelled out (AuthURL with a password or an application credential). It is
// the service credential: it must be allowed to list every project's
// resources (the admin role) and, unless Projects maps every gisiaas project,
// to create projects and grant itself a role on them.
type Config struct {
	// Cloud names an entry of a clouds.yaml; CloudsFile is that file (empty:
	// the usual search path, ./clouds.yaml, ~/.config/openstack, /etc/openstack).
	Cloud      string `json:"cloud,omitempty"`
	CloudsFile string `json:"clouds_file,omitempty"`

	AuthURL           string `json:"auth_url,omitempty"`
	Username          string `json:"username,omitempty"`
	Password          string `json:"password,omitempty"`
	UserDomainName    string `json:"user_domain_name,omitempty"`
	ProjectName       string `json:"project_name,omitempty"`
	ProjectID         string `json:"project_id,omitempty"`
	ProjectDomainName string `json:"project_domain_name,omitempty"`
	// An application credential is bound to one project: with one, the
	// datacenter serves the one gisiaas project Projects maps to it
	// (CreateProjects is refused).
	ApplicationCredentialID     string `json:"application_credential_id,omitempty"`
	ApplicationCredentialSecret string `json:"application_credential_secret,omitempty"`
	Region                      string `json:"region,omitempty"`
	// Interface is the catalog interface: public (default), internal or admin.
	Interface string `json:"interface,omitempty"`

	// Name is the driver instance's name in events and logs (default "openstack").
	Name string `json:"name,omitempty"`
	// Projects maps gisiaas project ids to OpenStack project ids. A gisiaas
	// project not in it gets an OpenStack project named ProjectPrefix+id,
	// created on demand when CreateProjects is true (the default).
	Projects       map[string]string `json:"projects,omitempty"`
	CreateProjects *bool             `json:"create_projects,omitempty"`
	ProjectPrefix  string            `json:"project_prefix,omitempty"`
	// ProjectRoles are granted to the service user on each project it
	// creates, so that it can act there (default: admin).
	ProjectRoles []string `json:"project_roles,omitempty"`

	// Zones names gisiaas datacenters after this cloud's availability
	// zones (gisiaas datacenter id → zone), where two clouds' zones share a
	// name (most clouds have one zone, "nova"); a zone not in it is the
	// datacenter of the same name.
	Zones map[string]string `json:"zones,omitempty"`

	// ExternalNetwork is the name or id of the external network floating and
	// public IPs come from (default: the first network with router:external).
	ExternalNetwork string `json:"external_network,omitempty"`

	// NotificationsURL is the oslo.messaging transport of OpenStack's
	// versioned notifications (rabbit://user:pass@host:5672/vhost). When set,
	// lifecycle events come from there as well as from polling.
	NotificationsURL string `json:"notifications_url,omitempty"`
	// NotificationsTopic is the topic the services publish on (default
	// versioned_notifications).
	NotificationsTopic string `json:"notifications_topic,omitempty"`
	// PollInterval is how often the event source lists what changed
	// (default 5s; 0 keeps the default; negative disables polling).
	PollInterval Duration `json:"poll_interval,omitempty"`
	// StateTimeout bounds how long an asynchronous operation takes to reach
	// its final state on this cloud (default 10m).
	StateTimeout Duration `json:"state_timeout,omitempty"`
	// EventRetention is how many events Watch keeps for replay (default 100000).
	EventRetention int `json:"event_retention,omitempty"`
	// StopTimeout bounds a graceful stop before the driver gives up waiting
	// (Nova forces the stop itself after its own shutdown_timeout).
	StopTimeout Duration `json:"stop_timeout,omitempty"`
}

// Duration is a time.Duration written as a string ("5s", "2m") in JSON.
type Duration time.Duration

// UnmarshalJSON reads "5s" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration: want a string such as \"5s\" or seconds")
	}
	*d = Duration(time.Duration(n * float64(time.Second)))
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// ParseConfig reads settings (JSON); unknown fields are refused, so a typo
// in a datacenter's settings is found at start, not at the first call.
func ParseConfig(settings []byte) (Config, error) {
	var c Config
	if len(strings.TrimSpace(string(settings))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(settings)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return Config{}, core.Errorf(core.InvalidArgument, "openstack settings: %v", err)
		}
	}
	return c.withDefaults()
}

func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = "openstack"
	}
	if c.ProjectPrefix == "" {
		c.ProjectPrefix = "gisiaas-"
	}
	if len(c.ProjectRoles) == 0 {
		c.ProjectRoles = []string{"admin"}
	}
	if c.CreateProjects == nil {
		t := c.ApplicationCredentialID == ""
		c.CreateProjects = &t
	}
	if c.NotificationsTopic == "" {
		c.NotificationsTopic = "versioned_notifications"
	}
	if c.PollInterval == 0 {
		c.PollInterval = Duration(5 * time.Second)
	}
	if c.StateTimeout <= 0 {
		c.StateTimeout = Duration(10 * time.Minute)
	}
	if c.StopTimeout <= 0 {
		c.StopTimeout = Duration(2 * time.Minute)
	}
	if c.EventRetention <= 0 {
		c.EventRetention = 100000
	}
	if c.ApplicationCredentialID != "" && (len(c.Projects) > 1 || *c.CreateProjects) {
		return c, core.Errorf(core.InvalidArgument, "openstack settings: an application credential serves its own project only: map one gisiaas project to it in projects, and no create_projects")
	}
	seen := map[string]string{}
	for dc, az := range c.Zones {
		if other, ok := seen[az]; ok {
			return c, core.Errorf(core.InvalidArgument, "openstack settings: zones: datacenters %s and %s are both zone %s", other, dc, az)
		}
		seen[az] = dc
	}
	if c.Cloud == "" && c.AuthURL == "" {
		return c, core.Errorf(core.InvalidArgument, "openstack settings: give cloud (a clouds.yaml entry) or auth_url")
	}
	return c, nil
}

// authOptions are the credential's gophercloud options and where its
// endpoints are looked up.
func (c Config) authOptions() (gophercloud.AuthOptions, gophercloud.EndpointOpts, error) {
	if c.Cloud != "" {
		opts := []clouds.ParseOption{clouds.WithCloudName(c.Cloud)}
		if c.CloudsFile != "" {
			opts = append(opts, clouds.WithLocations(c.CloudsFile))
		}
		ao, eo, _, err := clouds.Parse(opts...)
		if err != nil {
			return ao, eo, core.Errorf(core.InvalidArgument, "openstack settings: cloud %q: %v", c.Cloud, err)
		}
		if c.Region != "" {
			eo.Region = c.Region
		}
		ao.AllowReauth = true
		return ao, eo, nil
	}
	ao := gophercloud.AuthOptions{
		IdentityEndpoint:            c.AuthURL,
		Username:                    c.Username,
		Password:                    c.Password,
		DomainName:                  c.UserDomainName,
		ApplicationCredentialID:     c.ApplicationCredentialID,
		ApplicationCredentialSecret: c.ApplicationCredentialSecret,
		AllowReauth:                 true,
	}
	if ao.DomainName == "" && ao.ApplicationCredentialID == "" {
		ao.DomainName = "Default"
	}
	if c.ApplicationCredentialID == "" {
		ao.Scope = &gophercloud.AuthScope{ProjectID: c.ProjectID, ProjectName: c.ProjectName, DomainName: c.ProjectDomainName}
		if ao.Scope.ProjectID == "" && ao.Scope.DomainName == "" {
			ao.Scope.DomainName = "Default"
		}
		if ao.Scope.ProjectID != "" {
			ao.Scope.DomainName = ""
		}
	}
	eo := gophercloud.EndpointOpts{Region: c.Region}
	switch c.Interface {
	case "", "public":
		eo.Availability = gophercloud.AvailabilityPublic
	case "internal":
		eo.Availability = gophercloud.AvailabilityInternal
	case "admin":
		eo.Availability = gophercloud.AvailabilityAdmin
	default:
		return ao, eo, core.Errorf(core.InvalidArgument, "openstack settings: interface %q is not public, internal or admin", c.Interface)
	}
	return ao, eo, nil
}
