//! Ballots in the embedded store: casting and retracting, each one atomic
//! step inside a write transaction, mirroring `ballot.lua` and
//! `retract.lua`.

use redb::{ReadableTable, WriteTransaction};

use super::tables::{ADDRESS_BALLOTS, MARKS, POLL_COUNTS, POLLS, SPENT, VOTERS, add, field};
use crate::poll::{Proof, Standing, judge};
use crate::store::keys::PollKeys;
use crate::store::record::{choices_of_attempt, choices_of_ballot, spender, voter_record};
use crate::store::{
    Ballot, BallotProof, FENCE_TTL_SECS, PollState, Retraction, VOTERS_FIELD, Verdict,
};

use super::polls::poll_state_in;

/// What a ballot came to: `Fenced` when the try was retracted before it
/// arrived (its caller heard 503, so it does not count).
pub(super) enum Cast {
    Fenced,
    NoPoll,
    Judged(Verdict, Box<PollState>),
}

pub(super) fn cast(
    txn: &WriteTransaction,
    k: &PollKeys,
    ballot: &Ballot,
) -> Result<Cast, redb::Error> {
    if txn
        .open_table(MARKS)?
        .get(k.fence(ballot.attempt).as_str())?
        .is_some()
    {
        return Ok(Cast::Fenced);
    }
    let polls = txn.open_table(POLLS)?;
    let mut counts = txn.open_table(POLL_COUNTS)?;
    let mut voters = txn.open_table(VOTERS)?;
    let mut addresses = txn.open_table(ADDRESS_BALLOTS)?;
    let Some(state) = poll_state_in(&polls, &counts, &voters, k, Some(&ballot.visitor))? else {
        return Ok(Cast::NoPoll);
    };
    let voter = field(&k.voters, ballot.visitor.as_str());
    let prior = voters.get(voter.as_str())?.map(|r| r.value().to_owned());
    if let Some(choices) = prior
        .as_deref()
        .and_then(|r| choices_of_ballot(r, &ballot.id))
    {
        // The same ballot again (its answer was lost): this try claims it,
        // so a retraction of an earlier try leaves it counted.
        let record = format!("{}/{}|{choices}", ballot.id, ballot.attempt.to_hex());
        voters.insert(voter.as_str(), record.as_str())?;
        return Ok(Cast::Judged(Verdict::Accepted, Box::new(state)));
    }
    // The store's own clock is this process's: the same for every caller.
    let at = ballot.at.unwrap_or_else(jiff::Timestamp::now);
    let address_key = field(&k.addresses(ballot.day), ballot.address.as_str());
    let from_address = addresses
        .get(address_key.as_str())?
        .map_or(0, |v| v.value());
    // Spent challenges are read and written for solved ballots only: the
    // table is opened (every table exists from the start) when one comes.
    let proof = match ballot.proof {
        BallotProof::Solved(solution) => {
            let spender = spender(&ballot.id, &ballot.visitor);
            let by = txn
                .open_table(SPENT)?
                .get(k.spent(&solution.id).as_str())?
                .map(|v| v.value().split_once('|').map(|(_, b)| b.to_owned()));
            Proof::Solved {
                spent_by_another: by.is_some_and(|b| b.as_deref() != Some(spender.as_str())),
            }
        }
        BallotProof::Form { cap } => Proof::Form { cap },
        BallotProof::Missing => Proof::Missing,
    };
    let networks: Vec<(String, u32, u32)> = ballot
        .networks
        .iter()
        .map(|(network, cap)| {
            let key = field(&k.addresses(ballot.day), &format!("n:{}", network.as_str()));
            let held = addresses.get(key.as_str())?.map_or(0, |v| v.value());
            Ok((key, held, *cap))
        })
        .collect::<Result<_, redb::Error>>()?;
    let standing = Standing {
        already_voted: state.voted.is_some(),
        from_address,
        address_cap: ballot.address_cap,
        solved_cap: ballot.solved_cap,
        network_full: networks.iter().any(|(_, held, cap)| held >= cap),
        proof,
    };
    let verdict = judge(&state.poll, at, &standing, &ballot.choices);
    if verdict != Verdict::Accepted {
        return Ok(Cast::Judged(verdict, Box::new(state)));
    }
    if let BallotProof::Solved(solution) = ballot.proof
        && state.poll.challenge.required()
    {
        // Until when, by this store's clock (the process's).
        let until = jiff::Timestamp::now().as_millisecond()
            + i64::try_from(solution.remember_for.as_millis()).unwrap_or(i64::MAX / 2);
        let value = format!("{until}|{}", spender(&ballot.id, &ballot.visitor));
        txn.open_table(SPENT)?
            .insert(k.spent(&solution.id).as_str(), value.as_str())?;
    }
    let record = voter_record(&ballot.id, ballot.attempt, &ballot.choices);
    voters.insert(voter.as_str(), record.as_str())?;
    addresses.insert(address_key.as_str(), from_address + 1)?;
    for (key, held, _) in &networks {
        addresses.insert(key.as_str(), held + 1)?;
    }
    for choice in &ballot.choices {
        add(&mut counts, &field(&k.counts, choice.as_str()), 1)?;
        add(&mut counts, &day_field(k, ballot.day, choice.as_str()), 1)?;
    }
    add(&mut counts, &field(&k.counts, VOTERS_FIELD), 1)?;
    add(&mut counts, &day_field(k, ballot.day, VOTERS_FIELD), 1)?;
    let state = poll_state_in(&polls, &counts, &voters, k, Some(&ballot.visitor))?
        .expect("the poll was read in this transaction");
    Ok(Cast::Judged(Verdict::Accepted, Box::new(state)))
}

pub(super) fn retract(
    txn: &WriteTransaction,
    k: &PollKeys,
    retraction: &Retraction,
) -> Result<bool, redb::Error> {
    let fence_expires = jiff::Timestamp::now().as_millisecond() + FENCE_TTL_SECS as i64 * 1000;
    txn.open_table(MARKS)?
        .insert(k.fence(retraction.attempt).as_str(), fence_expires)?;
    let mut voters = txn.open_table(VOTERS)?;
    let voter = field(&k.voters, retraction.visitor.as_str());
    let Some(record) = voters.get(voter.as_str())?.map(|r| r.value().to_owned()) else {
        return Ok(false);
    };
    let Some(choices) = choices_of_attempt(&record, &retraction.ballot, retraction.attempt) else {
        return Ok(false);
    };
    voters.remove(voter.as_str())?;
    let mut counts = txn.open_table(POLL_COUNTS)?;
    for id in choices.split(',') {
        add(&mut counts, &field(&k.counts, id), -1)?;
        add(&mut counts, &day_field(k, retraction.day, id), -1)?;
    }
    add(&mut counts, &field(&k.counts, VOTERS_FIELD), -1)?;
    add(&mut counts, &day_field(k, retraction.day, VOTERS_FIELD), -1)?;
    let mut addresses = txn.open_table(ADDRESS_BALLOTS)?;
    let address = field(&k.addresses(retraction.day), retraction.address.as_str());
    let n = addresses.get(address.as_str())?.map_or(0, |v| v.value());
    addresses.insert(address.as_str(), n.saturating_sub(1))?;
    Ok(true)
}

/// A poll's ballots for one option (or `_voters`) on one day.
fn day_field(k: &PollKeys, day: crate::calendar::Day, option: &str) -> String {
    field(&k.days, &format!("{day}|{option}"))
}
