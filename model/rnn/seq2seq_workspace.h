// seq2seq_workspace: the activations one seq2seq forward saves for its backward, and the backward's
// gradient buffers. Sized per batch by seq2seq_workspace_resize (vectors keep their capacity, so a run of
// batches allocates only when a batch is larger than all before it). Time-major: S source positions,
// T target positions, B rows. E, He, D = 2 He, Hd, V as in seq2seq_config.
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
  int B = 0, S = 0, T = 0;
  // ---- encoder
  std::vector<int> src_tm;            // (S, B) source ids, time-major
  std::vector<int> src_len;           // (B)
  std::vector<float> src_emb;         // (S, B, E) embedding before dropout
  std::vector<seq2seq_enc_layer> layers;
  std::vector<float> last_h, last_c;  // (B, D) [fw | bw] final states of the last layer
  std::vector<float> last_tmp;        // (2, B, He)
  std::vector<float> h0, c0;          // (B, Hd) decoder initial state (h0 = tanh of the bridge)
  std::vector<float> keys;            // (S, B, Hd) W_a · encoder outputs
  // ---- decoder
  std::vector<int> tgt_tm;            // (T, B) decoder input ids
  std::vector<int> targets;           // (T, B) target ids, -1 on padding
  std::vector<float> tgt_emb;         // (T, B, E) before dropout
  std::vector<float> tgt_emb_mask;    // (T, B, E)
  std::vector<float> ye;              // (T, B, E) after dropout
  // The cell's input weights in blocks: gates_t = ye_t · w_eᵀ + b_ih + [feed_{t-1} | h_{t-1}] · w_fhᵀ + b_hh,
  // so the embedding part of every step is one matmul and a step multiplies only the recurrent inputs.
  std::vector<float> w_e;             // (4Hd, E) dec_cell.weight_ih[:, :E]
  std::vector<float> w_f;             // (4Hd, Hd) dec_cell.weight_ih[:, E:]
  std::vector<float> w_fh;            // (4Hd, 2Hd) [w_f | dec_cell.weight_hh]
  std::vector<float> xf;              // (T, B, 2Hd) [feed_{t-1} | h_{t-1}]
  std::vector<float> rec;             // (B, 4Hd) xf_t · w_fhᵀ
  std::vector<float> hs, cs;          // (T, B, Hd)
  std::vector<float> gates;           // (T, B, 4Hd)
  std::vector<float> att_probs;       // (T, B, S)
  std::vector<float> ctx;             // (B, D) one step's context
  std::vector<float> cats;            // (T, B, D + Hd) [context | h_t]
  std::vector<float> pres;            // (T, B, Hd) W_o [context | h_t] (forward), its gradient (backward)
  std::vector<float> atts;            // (T, B, Hd) tanh(pre)
  std::vector<float> feed_mask;       // (T, B, Hd)
  std::vector<float> feeds;           // (T, B, Hd) attentional vectors after dropout
  std::vector<float> zeros;           // (B, Hd) the feed before the first step
  std::vector<float> logits;          // (T*B, V) logits, then their gradient
  std::vector<float> probs;           // (T*B, V)
  std::vector<float> losses;          // (T*B)
  std::vector<float> dlosses;         // (T*B)
  std::vector<float> scratch;         // LSTM scratch
  // ---- backward
  std::vector<float> dfeeds;          // (T, B, Hd)
  std::vector<float> datt;            // (B, Hd)
  std::vector<float> dcat;            // (B, D + Hd)
  std::vector<float> dctx;            // (B, D)
  std::vector<float> dh_att;          // (B, Hd)
  std::vector<float> w_fh_t;          // (2Hd, 4Hd) w_fh transposed
  std::vector<float> dgates;          // (T, B, 4Hd)
  std::vector<float> dxf;             // (B, 2Hd)
  std::vector<float> dh_carry, dc_carry;  // (B, Hd) into h_t, c_t from step t+1
  std::vector<float> dw_e;            // (4Hd, E)
  std::vector<float> dw_fh;           // (4Hd, 2Hd)
  std::vector<float> dw_f, dw_h;      // (4Hd, Hd)
  std::vector<float> dw_ih;           // (4Hd, E + Hd)
  std::vector<float> db;              // (4Hd)
  std::vector<float> dye;             // (T, B, E)
  std::vector<float> dembed;          // (max(S, T), B, E)
  std::vector<float> w_out_t;         // (D + Hd, Hd) attn_out.weight transposed
  std::vector<float> dh0, dc0;        // (B, Hd)
  std::vector<float> dpre_bridge;     // (B, Hd)
  std::vector<float> dlast_h, dlast_c;  // (B, D)
  std::vector<float> dlast_tmp;       // (2, B, He)
  std::vector<float> dkeys;           // (S, B, Hd)
  std::vector<float> dout;            // (S, B, D) gradient of a layer's output
  std::vector<float> dh_fw, dh_bw;    // (S, B, He)
  std::vector<float> din, din_rev;    // (S, B, max C)
};

// Sizes every buffer for (B, S, T); training also sizes the backward buffers.
void seq2seq_workspace_resize(seq2seq_workspace& w, const seq2seq_config& cfg, int B, int S, int T, bool training);

// out: (T, B) = inpᵀ for inp: (B, T), with pad_id replaced by pad_as (e.g. -1 for targets the loss skips).
void ids_to_time_major(int* out, const int* inp, int B, int T, int pad_as);

}  // namespace pluma
