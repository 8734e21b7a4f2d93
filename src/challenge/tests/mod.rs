//! Tests of the challenge as its users meet it: issued, solved, verified or
//! refused; the difficulty under honest traffic and floods; and the widget's
//! JavaScript solver against challenges issued here.

mod difficulty;
mod node;
mod proof;
mod sim;
