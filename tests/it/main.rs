//! The integration suite, one binary: the real app and the real binary
//! against real stores — private `redis-server`s and one Redis Cluster per
//! run, started by the tests themselves ([`support`]) — and the house rules
//! of `src/` ([`layout`]).

#[macro_use]
mod support;

mod archive;
mod archive_defined;
mod archive_sites;
mod asset_bytes;
mod backup_load;
mod ballot_fate;
mod bounds;
mod challenge;
mod cli;
mod cluster_failover;
mod console;
mod console_edits;
mod console_history;
mod console_site_forms;
mod console_sites;
mod counting;
mod damaged_store;
mod disk_full;
mod drafts;
mod durability;
mod edge;
mod embedded_housekeeping;
mod hardening;
mod history;
mod hostile_input;
mod http_errors;
mod identity;
mod imports;
mod layout;
mod openapi;
mod poll_lists;
mod polls;
mod polls_file;
mod polls_sites;
mod redis_tls;
mod replicas;
mod resilience;
mod retention;
mod retention_keys;
mod retention_metrics;
mod retention_visits;
mod roles;
mod roles_sites;
mod schema_version;
mod sign_in;
mod site_life;
mod site_merge;
mod sites;
mod sites_defined;
mod sites_defined_roles;
mod sites_deleted;
mod store_conformance;
mod touch_batches;
mod visitor_side;
