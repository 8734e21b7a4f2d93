//! Tests of the challenge as its users meet it: issued, solved, verified or
//! refused; and the difficulty under honest traffic and floods.

mod difficulty;
mod proof;
