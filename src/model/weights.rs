//! Network weights off the device and back: read asynchronously (WebGPU cannot read
//! synchronously), named and laid out as PyTorch names and lays them out, and stored as
//! safetensors so the same file loads in PyTorch (`safetensors.torch.load_file`).

use std::collections::HashMap;

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::{Device, Tensor, TensorData};
use burn::tensor::Transaction;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

/// One named weight tensor, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedTensor {
    /// PyTorch-style name, e.g. `encoder.0.weight`.
    pub name: String,
    /// Its dimensions.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f32>,
}

/// A network's weights in layer order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamedWeights {
    /// The tensors, in the order the layers run.
    pub tensors: Vec<NamedTensor>,
}

/// Why weights could not be read, written or used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeightError {
    /// The device would not give the values back.
    #[error("could not read the weights from the device: {0}; try again on the CPU backend")]
    Read(String),
    /// A tensor the network needs is not in the file.
    #[error(
        "the model file has no tensor {0}: it is damaged or was not written by NetSentry; train the model again"
    )]
    Missing(String),
    /// A tensor has another shape than the network's configuration says.
    #[error(
        "tensor {name} has shape {found:?} in the model file, but the model needs {expected:?}: the file is damaged or was edited; train the model again"
    )]
    Shape {
        /// The tensor.
        name: String,
        /// What the configuration needs.
        expected: Vec<usize>,
        /// What the file holds.
        found: Vec<usize>,
    },
    /// The bytes are not a safetensors file of 32-bit floats.
    #[error(
        "not a valid safetensors model file: {0}; give the file written by `netsentry train` (or the app's model download)"
    )]
    Format(String),
}

impl NamedWeights {
    /// The tensor called `name`, checked to have `shape`.
    pub fn get(&self, name: &str, shape: &[usize]) -> Result<&NamedTensor, WeightError> {
        let tensor = self
            .tensors
            .iter()
            .find(|tensor| tensor.name == name)
            .ok_or_else(|| WeightError::Missing(name.to_owned()))?;
        if tensor.shape != shape {
            return Err(WeightError::Shape {
                name: name.to_owned(),
                expected: shape.to_vec(),
                found: tensor.shape.clone(),
            });
        }
        Ok(tensor)
    }

    /// Whether the file holds a tensor called `name` (one a later version added, for example).
    pub fn has(&self, name: &str) -> bool {
        self.tensors.iter().any(|tensor| tensor.name == name)
    }

    /// The tensor called `name`, checked to be a matrix of `width` columns and any number of rows
    /// (one whose rows the fitting chose, as kNN's reference flows).
    pub fn rows_of(&self, name: &str, width: usize) -> Result<&NamedTensor, WeightError> {
        let rows = self
            .tensors
            .iter()
            .find(|tensor| tensor.name == name)
            .map_or(0, |tensor| tensor.shape.first().copied().unwrap_or(0));
        self.get(name, &[rows, width])
    }

    /// The same tensors with `prefix` before each name: a cross-fitted model file holds its fold
    /// models' tensors beside the final model's (`fold0.encoder.0.weight`), which keep PyTorch's
    /// names.
    pub fn prefixed(mut self, prefix: &str) -> Self {
        for tensor in &mut self.tensors {
            tensor.name.insert_str(0, prefix);
        }
        self
    }

    /// The tensors whose names start with `prefix`, with it taken off: the inverse of
    /// [`NamedWeights::prefixed`].
    pub fn under(&self, prefix: &str) -> Self {
        Self {
            tensors: self
                .tensors
                .iter()
                .filter_map(|tensor| {
                    tensor.name.strip_prefix(prefix).map(|name| NamedTensor {
                        name: name.to_owned(),
                        ..tensor.clone()
                    })
                })
                .collect(),
        }
    }

    /// The weights as a safetensors file, with `metadata` in its header.
    pub fn to_safetensors(
        &self,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<u8>, WeightError> {
        let bytes: Vec<Vec<u8>> = self
            .tensors
            .iter()
            .map(|tensor| {
                tensor
                    .values
                    .iter()
                    .flat_map(|value| value.to_le_bytes())
                    .collect()
            })
            .collect();
        let views = self
            .tensors
            .iter()
            .zip(&bytes)
            .map(|(tensor, bytes)| {
                TensorView::new(Dtype::F32, tensor.shape.clone(), bytes)
                    .map(|view| (tensor.name.clone(), view))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| WeightError::Format(error.to_string()))?;
        safetensors::serialize(views, Some(metadata))
            .map_err(|error| WeightError::Format(error.to_string()))
    }

    /// Reads a safetensors file: its tensors and its header metadata.
    pub fn from_safetensors(bytes: &[u8]) -> Result<(Self, HashMap<String, String>), WeightError> {
        let format = |error: safetensors::SafeTensorError| WeightError::Format(error.to_string());
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(format)?;
        let metadata = header.metadata().clone().unwrap_or_default();
        let file = SafeTensors::deserialize(bytes).map_err(format)?;
        let mut tensors = file
            .tensors()
            .into_iter()
            .map(|(name, view)| {
                if view.dtype() != Dtype::F32 {
                    return Err(WeightError::Format(format!(
                        "tensor {name} is {:?}, not F32",
                        view.dtype()
                    )));
                }
                let values = view
                    .data()
                    .chunks_exact(4)
                    .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
                    .collect();
                Ok(NamedTensor {
                    name,
                    shape: view.shape().to_vec(),
                    values,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        tensors.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((Self { tensors }, metadata))
    }
}

/// Reads a tensor's values back from its device, asynchronously.
pub async fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, WeightError> {
    tensor
        .into_data_async()
        .await
        .map_err(|error| WeightError::Read(format!("{error:?}")))?
        .try_to_vec::<f32>()
        .map_err(|error| WeightError::Read(format!("{error:?}")))
}

/// `sum + value`, or `value` when nothing is summed yet: a running sum kept on the device, read
/// once when it is reported instead of once per value.
pub fn accumulate(sum: Option<Tensor<1>>, value: Tensor<1>) -> Tensor<1> {
    match sum {
        Some(sum) => sum + value,
        None => value,
    }
}

/// The values of several tensors in one read from the device (one round trip on WebGPU, where
/// each read costs milliseconds), in the order given, one for each.
pub async fn read_together(tensors: Vec<Tensor<2>>) -> Result<Vec<Vec<f32>>, WeightError> {
    let asked = tensors.len();
    let transaction = tensors
        .into_iter()
        .fold(Transaction::default(), Transaction::register);
    let read = transaction
        .execute_async()
        .await
        .map_err(|error| WeightError::Read(format!("{error:?}")))?;
    if read.len() != asked {
        return Err(WeightError::Read(format!(
            "the device gave back {} of the {asked} tensors read together",
            read.len()
        )));
    }
    read.into_iter()
        .map(|data| {
            data.try_to_vec::<f32>()
                .map_err(|error| WeightError::Read(format!("{error:?}")))
        })
        .collect()
}

/// Appends a dense layer's weight (as `[outputs, inputs]`, PyTorch's layout) and bias.
pub async fn linear_weights(
    named: &mut NamedWeights,
    prefix: &str,
    layer: &Linear,
) -> Result<(), WeightError> {
    let weight = layer.weight.val();
    let [inputs, outputs] = weight.dims();
    named.tensors.push(NamedTensor {
        name: format!("{prefix}.weight"),
        shape: vec![outputs, inputs],
        values: read(weight.transpose()).await?,
    });
    if let Some(bias) = &layer.bias {
        named.tensors.push(NamedTensor {
            name: format!("{prefix}.bias"),
            shape: vec![outputs],
            values: read(bias.val()).await?,
        });
    }
    Ok(())
}

/// A dense layer of `(inputs, outputs)` from the weights written by [`linear_weights`].
pub fn linear_from(
    weights: &NamedWeights,
    prefix: &str,
    (inputs, outputs): (usize, usize),
    device: &Device,
) -> Result<Linear, WeightError> {
    let weight = weights.get(&format!("{prefix}.weight"), &[outputs, inputs])?;
    let bias = weights.get(&format!("{prefix}.bias"), &[outputs])?;
    let weight = Tensor::<2>::from_data(
        TensorData::new(weight.values.clone(), [outputs, inputs]),
        device,
    )
    .transpose();
    let bias = Tensor::<1>::from_data(TensorData::new(bias.values.clone(), [outputs]), device);
    Ok(Linear {
        weight: Param::from_tensor(weight),
        bias: Some(Param::from_tensor(bias)),
    })
}

/// Appends each layer of a stack under `{prefix}.{index}`.
pub async fn stack_weights(
    named: &mut NamedWeights,
    prefix: &str,
    layers: &[Linear],
) -> Result<(), WeightError> {
    for (index, layer) in layers.iter().enumerate() {
        linear_weights(named, &format!("{prefix}.{index}"), layer).await?;
    }
    Ok(())
}

/// A stack of dense layers of shapes `pairs` from the weights written by [`stack_weights`].
pub fn stack_from(
    weights: &NamedWeights,
    prefix: &str,
    pairs: &[(usize, usize)],
    device: &Device,
) -> Result<Vec<Linear>, WeightError> {
    pairs
        .iter()
        .enumerate()
        .map(|(index, &shape)| linear_from(weights, &format!("{prefix}.{index}"), shape, device))
        .collect()
}
