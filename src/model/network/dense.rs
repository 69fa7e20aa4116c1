//! A dense layer and its non-linearity as one operation on burn's CPU backend (`flex`): the
//! matrix product, then the bias and the activation in a single pass over its output, with a
//! branch-free rational `tanh` the compiler vectorises. Op by op, burn-flex 0.22 allocates a
//! buffer for the bias sum and again for the activation, and computes `tanh` or the sigmoid one
//! element at a time with libm (20–27 % of all training time in the profiles of
//! docs/performance.md). Training keeps its own backward pass: the activation's slope from the
//! output in one pass, then the two matrix products and the bias sum as burn would.
//!
//! Reached through burn's backend-extension pattern (`#[backend_extension]`), which routes a
//! tensor to the implementation for the backend it lives on; callers ask for it only on the CPU
//! backend ([`fused`]), so WebGPU keeps burn's own operations. The same code serves the browser's
//! CPU backend, where the `tanh` loop vectorises with WebAssembly SIMD.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::nn::Linear;
use burn::prelude::{Device, Tensor};
use burn::tensor::DType;

/// The non-linearities with a fused form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fused {
    /// `tanh`.
    Tanh,
    /// `max(0, x)`.
    Relu,
}

/// `activation(input · weight + bias)` for one layer, in one operation; `None` when the layer,
/// the tensor or its device has no fused form (a GPU, no bias, another number type), and the
/// caller composes burn's operations instead.
pub fn fused(layer: &Linear, input: &Tensor<2>, activation: Fused) -> Option<Tensor<2>> {
    if input.device().inner() != Device::flex() || input.dtype() != DType::F32 {
        return None;
    }
    let bias = layer.bias.as_ref()?.val();
    let (input, weight, bias) = (
        input.clone().into_dispatch(),
        layer.weight.val().into_dispatch(),
        bias.into_dispatch(),
    );
    let output = <Dispatch as DenseOps>::dense(input, weight, bias, activation);
    Some(Tensor::from_dispatch(output))
}

/// The fused layer as a backend operation: on the CPU backend, and recorded for training there.
#[backend_extension(Flex, Autodiff)]
pub trait DenseOps: Backend {
    /// `activation(input · weight + bias)`.
    fn dense(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: Fused,
    ) -> FloatTensor<Self>;
}

impl DenseOps for Flex {
    fn dense(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: Fused,
    ) -> FloatTensor<Self> {
        forward(input, weight, bias, activation)
    }
}

impl<C: CheckpointStrategy> DenseOps for Autodiff<Flex, C> {
    fn dense(
        input: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: Fused,
    ) -> FloatTensor<Self> {
        recorded::<C>(input, weight, bias, activation)
    }
}

/// The forward pass on the CPU: burn's matrix product, then bias and activation in place.
fn forward(
    input: FloatTensor<Flex>,
    weight: FloatTensor<Flex>,
    bias: FloatTensor<Flex>,
    activation: Fused,
) -> FloatTensor<Flex> {
    let mut output = Flex::float_matmul(input, weight);
    let bias = bias.to_contiguous();
    let bias: &[f32] = bias.storage();
    let values = unique_storage(&mut output);
    for row in values.chunks_exact_mut(bias.len()) {
        for (value, shift) in row.iter_mut().zip(bias) {
            *value += shift;
        }
        match activation {
            Fused::Tanh => tanh_in_place(row),
            Fused::Relu => row.iter_mut().for_each(|value| *value = value.max(0.0)),
        }
    }
    output
}

/// The values of a tensor this operation owns, contiguous and in order (a matrix product's fresh
/// output already is; anything else is copied first).
fn unique_storage(tensor: &mut FloatTensor<Flex>) -> &mut [f32] {
    let layout = tensor.layout();
    if !(layout.is_contiguous() && layout.start_offset() == 0) {
        *tensor = tensor.to_contiguous();
    }
    let elements = tensor.layout().num_elements();
    &mut tensor.storage_mut::<f32>()[..elements]
}

/// The layer recorded for training: the forward pass as above, and a backward pass that turns
/// the output's gradient into the input's, the weight's and the bias's.
fn recorded<C: CheckpointStrategy>(
    input: FloatTensor<Autodiff<Flex, C>>,
    weight: FloatTensor<Autodiff<Flex, C>>,
    bias: FloatTensor<Autodiff<Flex, C>>,
    activation: Fused,
) -> FloatTensor<Autodiff<Flex, C>> {
    let (input, input_node) = input.into_parts();
    let (weight, weight_node) = weight.into_parts();
    let (bias, bias_node) = bias.into_parts();
    match (DenseBackward { activation })
        .prepare::<C>([input_node, weight_node, bias_node])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => {
            let output = forward(input.clone(), weight.clone(), bias, activation);
            prep.finish((input, weight, output.clone()), output)
        }
        OpsKind::UnTracked(prep) => prep.finish(forward(input, weight, bias, activation)),
    }
}

/// The backward step of one fused layer.
#[derive(Debug)]
struct DenseBackward {
    activation: Fused,
}

impl Backward<Flex, 3> for DenseBackward {
    /// The layer's input, its weight and its output (the activation's slope comes from the output).
    type State = (FloatTensor<Flex>, FloatTensor<Flex>, FloatTensor<Flex>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [input_node, weight_node, bias_node] = ops.parents;
        let (input, weight, output) = ops.state;
        let mut slope = grads.consume::<Flex>(&ops.node);
        {
            let output = output.to_contiguous();
            let output: &[f32] = output.storage();
            let grad = unique_storage(&mut slope);
            match self.activation {
                Fused::Tanh => grad
                    .iter_mut()
                    .zip(output)
                    .for_each(|(grad, y)| *grad *= 1.0 - y * y),
                Fused::Relu => grad
                    .iter_mut()
                    .zip(output)
                    .for_each(|(grad, y)| *grad = if *y > 0.0 { *grad } else { 0.0 }),
            }
        }
        if let Some(node) = bias_node {
            let width = weight.layout().shape()[1];
            let summed = Flex::float_sum_dim(slope.clone(), 0);
            grads.register::<Flex>(node.id, Flex::float_reshape(summed, [width].into()));
        }
        if let Some(node) = weight_node {
            let input_t = Flex::float_transpose(input);
            grads.register::<Flex>(node.id, Flex::float_matmul(input_t, slope.clone()));
        }
        if let Some(node) = input_node {
            let weight_t = Flex::float_transpose(weight);
            grads.register::<Flex>(node.id, Flex::float_matmul(slope, weight_t));
        }
    }
}

/// `tanh` of every value, in place: Eigen's rational approximation (a degree-13 odd numerator
/// over a degree-6 even denominator, inputs clamped to ±7.9, where tanh is 1 to float precision),
/// within 4e-7 of the true value (against f64's tanh, output rounding included); no branch and no call, so the loop vectorises.
fn tanh_in_place(values: &mut [f32]) {
    const CLAMP: f32 = 7.905_311;
    const ALPHA: [f32; 7] = [
        4.893_524_6e-3,
        6.372_619_3e-4,
        1.485_722_4e-5,
        5.122_297e-8,
        -8.604_672e-11,
        2.000_188e-13,
        -2.760_768_5e-16,
    ];
    const BETA: [f32; 4] = [4.893_525e-3, 2.268_434_6e-3, 1.185_347_1e-4, 1.198_258_4e-6];
    for value in values {
        let x = value.clamp(-CLAMP, CLAMP);
        let x2 = x * x;
        let mut p = ALPHA[6];
        for alpha in ALPHA[..6].iter().rev() {
            p = p * x2 + alpha;
        }
        let mut q = BETA[3];
        for beta in BETA[..3].iter().rev() {
            q = q * x2 + beta;
        }
        *value = x * p / q;
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::LinearConfig;
    use burn::prelude::TensorData;

    use super::*;

    #[test]
    fn the_rational_tanh_is_within_half_a_millionth_everywhere() {
        let inputs: Vec<f32> = (-200_000..=200_000).map(|i| i as f32 * 1e-4).collect();
        let mut values = inputs.clone();
        tanh_in_place(&mut values);
        let worst = inputs
            .iter()
            .zip(&values)
            .map(|(x, y)| (f64::from(*x).tanh() - f64::from(*y)).abs())
            .fold(0.0, f64::max);
        assert!(worst < 5e-7, "worst error {worst}");
        let mut extremes = [f32::MAX, f32::MIN, 1e-30, -0.0];
        tanh_in_place(&mut extremes);
        assert_eq!(extremes[..2], [1.0, -1.0]);
        assert!(extremes[2].abs() < 1e-29 && extremes[3] == 0.0);
    }

    /// A layer and a batch with values spread over tanh's curve.
    fn layer_and_input(device: &Device) -> (Linear, Tensor<2>) {
        device.seed(7);
        let layer = LinearConfig::new(13, 9).init(device);
        let values: Vec<f32> = (0..5 * 13)
            .map(|i| ((i * 37 % 29) as f32 - 14.0) / 4.0)
            .collect();
        let input = Tensor::from_data(TensorData::new(values, [5, 13]), device);
        (layer, input)
    }

    fn close(ours: Tensor<2>, burns: Tensor<2>) {
        let (ours, burns) = (ours.into_data(), burns.into_data());
        let ours = ours.as_slice::<f32>().unwrap();
        let burns = burns.as_slice::<f32>().unwrap();
        assert_eq!(ours.len(), burns.len());
        for (a, b) in ours.iter().zip(burns) {
            assert!((a - b).abs() <= 1e-5, "{a} against burn's {b}");
        }
    }

    #[test]
    fn the_fused_layer_gives_burns_values_within_one_hundred_thousandth() {
        let device = Device::flex();
        let (layer, input) = layer_and_input(&device);
        for (activation, composed) in [
            (
                Fused::Tanh,
                burn::tensor::activation::tanh as fn(Tensor<2>) -> Tensor<2>,
            ),
            (Fused::Relu, burn::tensor::activation::relu),
        ] {
            let ours = fused(&layer, &input, activation).expect("flex has the fused form");
            close(ours, composed(layer.forward(input.clone())));
        }
    }

    #[test]
    fn its_gradients_are_burns_within_one_hundred_thousandth() {
        let device = Device::flex().autodiff();
        for (activation, composed) in [
            (
                Fused::Tanh,
                burn::tensor::activation::tanh as fn(Tensor<2>) -> Tensor<2>,
            ),
            (Fused::Relu, burn::tensor::activation::relu),
        ] {
            let (layer, input) = layer_and_input(&device);
            let input = input.require_grad();
            let target = Tensor::<2>::ones([5, 9], &device).mul_scalar(0.3);
            let loss = |output: Tensor<2>| (output - target.clone()).powi_scalar(2).mean();
            let ours = loss(fused(&layer, &input, activation).unwrap()).backward();
            let burns = loss(composed(layer.forward(input.clone()))).backward();
            close(input.grad(&ours).unwrap(), input.grad(&burns).unwrap());
            close(
                layer.weight.val().grad(&ours).unwrap(),
                layer.weight.val().grad(&burns).unwrap(),
            );
            let bias = layer.bias.as_ref().unwrap().val();
            close(
                bias.grad(&ours).unwrap().unsqueeze(),
                bias.grad(&burns).unwrap().unsqueeze(),
            );
        }
    }

    #[test]
    fn a_layer_without_bias_is_left_to_burns_operations() {
        let device = Device::flex();
        let layer = LinearConfig::new(3, 2).with_bias(false).init(&device);
        let input = Tensor::<2>::ones([1, 3], &device);
        assert!(fused(&layer, &input, Fused::Tanh).is_none());
    }
}
