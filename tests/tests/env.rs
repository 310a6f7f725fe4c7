//! Issue 19: `Client::from_env` reads the server from `MISTRAL_BASE_URL` next to the key (one
//! test in its own binary: the environment is the process's).

use mistral_sdk::{Client, Error, BASE_URL_ENV};

#[test]
fn the_server_comes_from_mistral_base_url() {
    assert_eq!(BASE_URL_ENV, "MISTRAL_BASE_URL");
    std::env::set_var("MISTRAL_API_KEY", "sk-env");
    std::env::remove_var(BASE_URL_ENV);
    assert_eq!(Client::from_env().unwrap().base_url(), "https://api.mistral.ai");

    std::env::set_var(BASE_URL_ENV, "http://127.0.0.1:9999/gateway/");
    assert_eq!(Client::from_env().unwrap().base_url(), "http://127.0.0.1:9999/gateway");
    std::env::set_var(BASE_URL_ENV, "eu");
    assert_eq!(Client::from_env().unwrap().base_url(), "https://api.mistral.ai");

    std::env::set_var(BASE_URL_ENV, "ftp://nowhere");
    match Client::from_env() {
        Err(Error::Config(m)) => assert!(m.starts_with("MISTRAL_BASE_URL: "), "{m}"),
        other => panic!("expected Error::Config naming the variable, got {other:?}"),
    }
    std::env::remove_var(BASE_URL_ENV);
}
