//! Redis as a file of commands: one JSON array of arguments a line, keys
//! in order, so that two versions of a store diff line by line; written
//! from every node's keys and sent back through the cluster client.

use redis::aio::ConnectionLike;

use crate::support::Home;

/// Sends `cmds` in order to the home's Redis or cluster; their answers.
pub async fn send(home: &Home, cmds: &[redis::Cmd]) -> Vec<redis::Value> {
    async fn each(conn: &mut impl ConnectionLike, cmds: &[redis::Cmd]) -> Vec<redis::Value> {
        let mut answers = Vec::new();
        for cmd in cmds {
            answers.push(cmd.query_async(conn).await.unwrap());
        }
        answers
    }
    match home {
        Home::Redis(server) => {
            let client = redis::Client::open(server.url()).unwrap();
            each(
                &mut client.get_multiplexed_async_connection().await.unwrap(),
                cmds,
            )
            .await
        }
        Home::Cluster(guard) => {
            let client = redis::cluster::ClusterClient::new(guard.nodes.clone()).unwrap();
            each(&mut client.get_async_connection().await.unwrap(), cmds).await
        }
        Home::Embedded(_) => unreachable!("a Redis home"),
    }
}

/// The fixture's Redis commands, each a list of arguments.
pub fn commands() -> Vec<Vec<String>> {
    std::fs::read_to_string(super::fixture::dir().join("redis.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every `tally:` key of each node as the commands that recreate it, by
/// key; with `ttl`, a key's time to live follows it, rounded up to the
/// minute so that the file changes only with what is kept. A key whose
/// value is not text (a day's hashing key, made again by tally) is left out
/// if it expires.
pub async fn dump(home: &Home, ttl: bool) -> Vec<String> {
    let urls = match home {
        Home::Redis(server) => vec![server.url()],
        Home::Cluster(guard) => guard.nodes.clone(),
        Home::Embedded(_) => unreachable!("a Redis home"),
    };
    let mut keyed: Vec<(String, Vec<String>)> = Vec::new();
    for url in urls {
        let client = redis::Client::open(url).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let keys: Vec<String> = query(&mut conn, redis::cmd("KEYS").arg("tally:*"))
            .await
            .unwrap();
        for key in keys {
            let pttl: i64 = query(&mut conn, redis::cmd("PTTL").arg(&key))
                .await
                .unwrap();
            match recreate(&mut conn, &key).await {
                Ok(mut lines) => {
                    if ttl && pttl >= 0 {
                        let minutes = (pttl + 59_999) / 60_000 * 60_000;
                        lines.push(line(&["PEXPIRE", &key, &minutes.to_string()]));
                    }
                    keyed.push((key, lines));
                }
                Err(e) if pttl >= 0 => drop(e),
                Err(e) => panic!("{key}: {e}"),
            }
        }
    }
    keyed.sort();
    keyed.into_iter().flat_map(|(_, lines)| lines).collect()
}

async fn query<T: redis::FromRedisValue>(
    conn: &mut impl ConnectionLike,
    cmd: &redis::Cmd,
) -> redis::RedisResult<T> {
    cmd.query_async(conn).await
}

fn line(args: &[&str]) -> String {
    serde_json::to_string(args).unwrap()
}

/// The commands that recreate `key` (members and fields sorted; a list in
/// order), or why its value cannot be text.
async fn recreate(conn: &mut impl ConnectionLike, key: &str) -> redis::RedisResult<Vec<String>> {
    let kind: String = query(conn, redis::cmd("TYPE").arg(key)).await?;
    let mut lines: Vec<String> = match kind.as_str() {
        "string" => {
            let v: String = query(conn, redis::cmd("GET").arg(key)).await?;
            vec![line(&["SET", key, &v])]
        }
        "hash" => {
            let fields: Vec<(String, String)> = query(conn, redis::cmd("HGETALL").arg(key)).await?;
            fields
                .iter()
                .map(|(f, v)| line(&["HSET", key, f, v]))
                .collect()
        }
        "set" => {
            let members: Vec<String> = query(conn, redis::cmd("SMEMBERS").arg(key)).await?;
            members.iter().map(|m| line(&["SADD", key, m])).collect()
        }
        "zset" => {
            let members: Vec<(String, String)> = query(
                conn,
                redis::cmd("ZRANGE")
                    .arg(key)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES"),
            )
            .await?;
            members
                .iter()
                .map(|(m, s)| line(&["ZADD", key, s, m]))
                .collect()
        }
        "list" => {
            // In order: RPUSH rebuilds the list as it reads.
            let items: Vec<String> =
                query(conn, redis::cmd("LRANGE").arg(key).arg(0).arg(-1)).await?;
            return Ok(items.iter().map(|i| line(&["RPUSH", key, i])).collect());
        }
        other => panic!("{key}: a {other}, which the fixture cannot hold"),
    };
    lines.sort();
    Ok(lines)
}
