// seq2seq_workspace: the activations one seq2seq forward saves for its backward, and the backward's
// gradient buffers. Sized per batch by seq2seq_workspace_resize (vectors keep their capacity, so a run of
// batches allocates only when a batch is larger than all before it).
//
// Layout. The batch's rows are first reordered by target length, longest first (perm), so that at decoder
// step t the rows still inside their target are a prefix of B_t rows. The encoder is time-major: S source
// positions x B rows. The decoder is packed: step t's B_t rows follow step t-1's, N = sum_t B_t rows in all
// (only real target positions: padding costs nothing), and row b of step t continues row b of step t-1.
// The attention memory is batch-major (B, S, ...), so the first B_t rows of it are a batch of B_t.
// E, He, D = 2 He, Hd, V as in seq2seq_config.
#pragma once
#include <vector>

#include "model/rnn/seq2seq.h"

namespace pluma {

struct seq2seq_enc_layer {
  int C = 0;                          // input width: E (layer 0) or D
  std::vector<float> in;              // (S, B, C) input (after dropout)
  std::vector<float> in_rev;          // (S, B, C) each row reversed within its length (reverse direction)
  std::vector<float> drop_mask;       // (S, B, C) dropout mask that made `in` (embedding or previous layer)
  std::vector<float> h_fw, c_fw;      // (S, B, He)
  std::vector<float> h_bw, c_bw;      // (S, B, He) over the reversed rows
  std::vector<float> g_fw, g_bw;      // (S, B, 4He) activated gates
  std::vector<float> out;             // (S, B, D) [h_fw | h_bw] in source order, zero on padding
};

struct seq2seq_workspace {
  int B = 0, S = 0, T = 0;            // T: decoder steps (the longest target with its <eos>)
  int N = 0;                          // packed decoder rows
  std::vector<int> perm;              // (B) batch row of each internal row
  std::vector<int> steps_rows;        // (T) B_t: rows inside their target at step t (non-increasing)
  std::vector<int> steps_off;         // (T + 1) first packed row of step t; steps_off[T] = N
  // ---- encoder
  std::vector<int> src_tm;            // (S, B) source ids, time-major
  std::vector<int> src_len;           // (B)
  std::vector<float> src_emb;         // (S, B, E) embedding before dropout
  std::vector<seq2seq_enc_layer> layers;
  std::vector<float> last_h, last_c;  // (B, D) [fw | bw] final states of the last layer
  std::vector<float> last_tmp;        // (2, B, He)
  std::vector<float> h0, c0;          // (B, Hd) decoder initial state (h0 = tanh of the bridge)
  std::vector<float> values;          // (B, S, D) the last layer's outputs, batch-major (attention memory)
  std::vector<float> keys;            // (B, S, Hd) W_a · values
  // ---- decoder (packed rows)
  std::vector<int> tgt_ids;           // (N) decoder input ids
  std::vector<int> targets;           // (N) target ids
  std::vector<float> tgt_emb;         // (N, E) before dropout
  std::vector<float> tgt_emb_mask;    // (N, E)
  std::vector<float> ye;              // (N, E) after dropout
  // The cell's input weights in blocks: gates_t = ye_t · w_eᵀ + b_ih + [feed_{t-1} | h_{t-1}] · w_fhᵀ + b_hh,
  // so the embedding part of every step is one matmul and a step multiplies only the recurrent inputs.
  std::vector<float> w_e;             // (4Hd, E) dec_cell.weight_ih[:, :E]
  std::vector<float> w_f;             // (4Hd, Hd) dec_cell.weight_ih[:, E:]
  std::vector<float> w_fh;            // (4Hd, 2Hd) [w_f | dec_cell.weight_hh]
  std::vector<float> xf;              // (N, 2Hd) [feed_{t-1} | h_{t-1}]
  std::vector<float> rec;             // (B, 4Hd) xf_t · w_fhᵀ
  std::vector<float> hs, cs;          // (N, Hd)
  std::vector<float> gates;           // (N, 4Hd)
  std::vector<float> att_probs;       // (N, S)
  std::vector<float> ctx;             // (B, D) one step's context
  std::vector<float> cats;            // (N, D + Hd) [context | h_t]
  std::vector<float> pres;            // (N, Hd) W_o [context | h_t] (forward), its gradient (backward)
  std::vector<float> atts;            // (N, Hd) tanh(pre)
  std::vector<float> feed_mask;       // (N, Hd)
  std::vector<float> feeds;           // (N, Hd) attentional vectors after dropout
  std::vector<float> zeros;           // (B, Hd) the feed before the first step
  std::vector<float> logits;          // (N, V) logits, then their gradient
  std::vector<float> probs;           // (N, V)
  std::vector<float> losses;          // (N)
  std::vector<float> dlosses;         // (N)
  std::vector<float> scratch;         // LSTM scratch
  // ---- backward
  std::vector<float> dfeeds;          // (N, Hd)
  std::vector<float> datt;            // (B, Hd)
  std::vector<float> dcat;            // (B, D + Hd)
  std::vector<float> dctx;            // (B, D)
  std::vector<float> dh_att;          // (B, Hd)
  std::vector<float> w_out_t;         // (D + Hd, Hd) attn_out.weight transposed
  std::vector<float> w_fh_t;          // (2Hd, 4Hd) w_fh transposed
  std::vector<float> dgates;          // (N, 4Hd)
  std::vector<float> dxf;             // (B, 2Hd)
  std::vector<float> dh_carry, dc_carry;  // (B, Hd) into h_t, c_t from step t+1
  std::vector<float> dw_e;            // (4Hd, E)
  std::vector<float> dw_fh;           // (4Hd, 2Hd)
  std::vector<float> dw_f, dw_h;      // (4Hd, Hd)
  std::vector<float> dw_ih;           // (4Hd, E + Hd)
  std::vector<float> db;              // (4Hd)
  std::vector<float> dye;             // (N, E)
  std::vector<float> dembed;          // (max(S B, N), E)
  std::vector<float> dh0, dc0;        // (B, Hd)
  std::vector<float> dpre_bridge;     // (B, Hd)
  std::vector<float> dlast_h, dlast_c;  // (B, D)
  std::vector<float> dlast_tmp;       // (4, B, He)
  std::vector<float> dkeys;           // (B, S, Hd)
  std::vector<float> dvalues;         // (B, S, D)
  std::vector<float> dout;            // (S, B, D) gradient of a layer's output
  std::vector<float> dh_fw, dh_bw;    // (S, B, He)
  std::vector<float> din, din_rev;    // (S, B, max C)
};

// Plans the decoder's packing from each internal row's target length (tgt_len, non-increasing, each >= 1)
// and sizes every buffer; training also sizes the backward buffers.
void seq2seq_workspace_resize(seq2seq_workspace& w, const seq2seq_config& cfg, int B, int S,
                              const std::vector<int>& tgt_len, bool training);

// Reorders the batch's rows by target length (the count of non-pad tgt_in ids, longest first; all 1 when
// in.tgt_in is null, for decoding), plans and sizes the workspace (seq2seq_workspace_resize) and fills the
// internal ids: w.perm, w.src_tm, w.src_len, w.tgt_ids and (when in.tgt_out is given) w.targets.
void seq2seq_pack_inputs(seq2seq_workspace& w, const seq2seq_config& cfg, const seq2seq_inputs& in, bool training);

}  // namespace pluma
