//! Tests of the challenge as its users meet it: issued, solved, verified or
//! refused.

mod proof;
